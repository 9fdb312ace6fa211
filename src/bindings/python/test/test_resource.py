"""flux.resource: ResourceSet from R, resource_list(h).get() by state."""
import json

import pytest

import flux
import flux.job
import flux.resource
from flux.hostlist import Hostlist
from flux.idset import IDset
from flux.job import JobspecV1
from flux.resource import ResourceSet

R = {"version": 1, "execution": {
    "R_lite": [{"rank": "0-1", "children": {"core": "0-3"}},
               {"rank": "2", "children": {"core": "0-1", "gpu": "0"}}],
    "nodelist": ["node[1-3]"], "starttime": 0.0, "expiration": 0.0,
    "properties": {"gpu": "2"}}}


def test_resourceset_from_R():
    rs = ResourceSet(json.dumps(R))
    assert rs.nnodes == 3 and rs.ncores == 10 and rs.ngpus == 1
    assert str(rs.nodelist) == "node[1-3]" and isinstance(rs.nodelist, Hostlist)
    assert str(rs.ranks) == "0-2" and isinstance(rs.ranks, IDset)
    assert rs.properties == "gpu" and rs.count("core") == 10
    sub = rs.copy_ranks("1-2")
    assert sub.nnodes == 2 and str(sub.nodelist) == "node[2-3]" and sub.ncores == 6
    assert (rs - sub).ncores == 4 and (rs & sub).nnodes == 2 and (sub | rs).ncores == 10
    again = ResourceSet(rs.encode())
    assert again.ncores == 10 and str(again.nodelist) == "node[1-3]"
    assert again.rlite == rs.rlite
    assert str(rs) == "rank[0-1]/core[0-3] rank2/core[0-1],gpu0"
    assert ResourceSet().nnodes == 0
    for bad in ("not json", {"version": 1}, {"version": 2, "execution": {}}):
        with pytest.raises(ValueError):
            ResourceSet(bad)
    with pytest.raises(TypeError):
        ResourceSet(42)


def test_resource_list(h):
    """As flux resource list: free + allocated = up; a running job's cores
    move from free to allocated."""
    before = flux.resource.resource_list(h).get()
    assert before.all.nnodes == 2 and before.up.nnodes == 2 and before.down.nnodes == 0
    assert before.free.ncores + before.allocated.ncores == before.up.ncores
    assert str(before.up.ranks) == "0-1" and before.up.nodelist.count() == 2
    jobid = flux.job.submit(h, JobspecV1.from_command(["sleep", "60"], num_tasks=1))
    try:
        flux.job.event_wait(h, jobid, "start")
        during = flux.resource.resource_list(h).get()
        assert during.allocated.ncores == before.allocated.ncores + 1
        assert during.free.ncores == before.free.ncores - 1
        assert during["free"].ncores == during.free.ncores
    finally:
        flux.job.cancel(h, jobid)
        flux.job.wait(h, jobid)
