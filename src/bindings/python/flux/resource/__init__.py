"""flux.resource: resource sets (RFC 20 R version 1) and the instance's
resources by state, as Flux's flux.resource (ResourceSet, resource_list).

resource_list(h).get() answers as `flux resource list` counts: up is the
ranks the resource service reports up, allocated the union of the running
jobs' R within them, free the rest of up, down every rank not up."""
import json

from flux._core import ffi, lib
from flux._error import _string
from flux.hostlist import Hostlist
from flux.idset import IDset


class ResourceSet:
    """A set of resources by rank: cores and GPUs (idsets), a host name and
    properties per rank.  Built from R (a dict or its JSON text)."""

    def __init__(self, arg=None, version=1):
        if version != 1:
            raise ValueError("R version %r is not supported (1 only)" % version)
        self._cores = {}  # rank -> set of core ids
        self._gpus = {}
        self._hosts = {}
        self._props = {}  # rank -> set of property names
        self.starttime = 0.0
        self.expiration = 0.0
        self.state = None
        if arg is None:
            return
        if isinstance(arg, ResourceSet):
            arg = arg.to_dict()
        if isinstance(arg, (str, bytes)):
            try:
                arg = json.loads(arg)
            except ValueError as e:
                raise ValueError("R is not JSON: %s" % e) from None
        if not isinstance(arg, dict):
            raise TypeError("ResourceSet takes R as a dict or JSON text")
        if arg.get("version", 1) != 1:
            raise ValueError("R version %r is not supported (1 only)" % arg.get("version"))
        ex = arg.get("execution")
        if not isinstance(ex, dict) or not isinstance(ex.get("R_lite", []), list):
            raise ValueError("R has no execution.R_lite list")
        self.starttime = float(ex.get("starttime", 0.0) or 0.0)
        self.expiration = float(ex.get("expiration", 0.0) or 0.0)
        for entry in ex.get("R_lite", []):
            try:
                ranks = IDset(entry["rank"])
                children = entry.get("children", {})
                cores = set(IDset(children.get("core", "")))
                gpus = set(IDset(children.get("gpu", "")))
            except (KeyError, TypeError, AttributeError, ValueError) as e:
                raise ValueError("R_lite entry %r is malformed (%s)" % (entry, e)) from None
            for r in ranks:
                self._cores.setdefault(r, set()).update(cores)
                self._gpus.setdefault(r, set()).update(gpus)
        hosts = Hostlist()
        for hl in ex.get("nodelist", []):
            hosts.append(hl)
        ranks = sorted(self._cores)
        if hosts.count() == len(ranks):
            self._hosts = dict(zip(ranks, hosts))
        for name, ids in (ex.get("properties") or {}).items():
            for r in IDset(ids):
                if r in self._cores:
                    self._props.setdefault(r, set()).add(name)

    # -- what scripts read
    @property
    def ranks(self):
        return IDset(self._cores.keys())

    @property
    def nnodes(self):
        return len(self._cores)

    @property
    def ncores(self):
        return sum(len(c) for c in self._cores.values())

    @property
    def ngpus(self):
        return sum(len(g) for g in self._gpus.values())

    @property
    def nodelist(self):
        return Hostlist([self._hosts.get(r, str(r)) for r in sorted(self._cores)])

    @property
    def properties(self):
        """The property names, comma separated (as Flux)."""
        names = set()
        for p in self._props.values():
            names |= p
        return ",".join(sorted(names))

    def count(self, name):
        """How many of resource NAME: node, core or gpu."""
        if name == "node":
            return self.nnodes
        if name == "core":
            return self.ncores
        if name == "gpu":
            return self.ngpus
        return 0

    # -- R
    @property
    def rlite(self):
        groups = {}
        for r in sorted(self._cores):
            key = (str(IDset(self._cores[r])), str(IDset(self._gpus.get(r, ()))))
            groups.setdefault(key, []).append(r)
        out = []
        for (cores, gpus), ranks in groups.items():
            children = {"core": cores}
            if gpus:
                children["gpu"] = gpus
            out.append({"rank": str(IDset(ranks)), "children": children})
        out.sort(key=lambda e: IDset(e["rank"]).first())
        return out

    def to_dict(self):
        ex = {"R_lite": self.rlite, "starttime": self.starttime,
              "expiration": self.expiration,
              "nodelist": [str(self.nodelist)] if self._cores else []}
        props = {}
        for r, names in self._props.items():
            for n in names:
                props.setdefault(n, set()).add(r)
        if props:
            ex["properties"] = {n: str(IDset(r)) for n, r in props.items()}
        return {"version": 1, "execution": ex}

    def encode(self):
        return json.dumps(self.to_dict(), separators=(",", ":"))

    def dumps(self):
        """A short summary: "rank[0-1]/core[0-3]" per group (as flux resource R -s)."""
        parts = []
        for e in self.rlite:
            ch = "core" + _brackets(e["children"]["core"])
            if "gpu" in e["children"]:
                ch += ",gpu" + _brackets(e["children"]["gpu"])
            parts.append("rank%s/%s" % (_brackets(e["rank"]), ch))
        return " ".join(parts)

    def __str__(self):
        return self.dumps()

    def __repr__(self):
        return "ResourceSet(%s)" % self.encode()

    # -- set operations by rank and core/GPU
    def _new(self):
        out = ResourceSet()
        out.starttime, out.expiration = self.starttime, self.expiration
        return out

    def copy(self):
        return self.copy_ranks(self.ranks)

    def copy_ranks(self, ranks):
        """A new set of this set's RANKS (IDset, idset string or ids)."""
        out = self._new()
        for r in IDset(ranks):
            if r in self._cores:
                out._cores[r] = set(self._cores[r])
                out._gpus[r] = set(self._gpus.get(r, ()))
                if r in self._hosts:
                    out._hosts[r] = self._hosts[r]
                if r in self._props:
                    out._props[r] = set(self._props[r])
        return out

    def _combine(self, other, op):
        if not isinstance(other, ResourceSet):
            other = ResourceSet(other)
        out = self._new()
        for r in set(self._cores) | set(other._cores):
            cores = op(self._cores.get(r, set()), other._cores.get(r, set()))
            gpus = op(self._gpus.get(r, set()), other._gpus.get(r, set()))
            if not cores and not gpus:
                continue
            out._cores[r], out._gpus[r] = cores, gpus
            host = self._hosts.get(r) or other._hosts.get(r)
            if host:
                out._hosts[r] = host
            props = self._props.get(r, set()) | other._props.get(r, set())
            if props:
                out._props[r] = props
        return out

    def union(self, *others):
        out = self
        for o in others:
            out = out._combine(o, lambda a, b: a | b)
        return out if others else self.copy()

    def intersect(self, *others):
        out = self
        for o in others:
            out = out._combine(o, lambda a, b: a & b)
        return out if others else self.copy()

    def difference(self, *others):
        out = self
        for o in others:
            out = out._combine(o, lambda a, b: a - b)
        return out if others else self.copy()

    def __or__(self, other):
        return self.union(other)

    def __and__(self, other):
        return self.intersect(other)

    def __sub__(self, other):
        return self.difference(other)


def _brackets(ids):
    return ids if "," not in ids and "-" not in ids else "[%s]" % ids


class SchedResourceList:
    """The instance's resources by state: all, up, down, allocated, free
    (ResourceSet each, with .nnodes, .ncores, .ngpus, .nodelist, .ranks)."""

    def __init__(self, all, up, allocated):
        self.all = all
        self.up = all.copy_ranks(up)
        self.allocated = allocated.intersect(self.up)
        self.free = self.up.difference(self.allocated)
        self.down = all.copy_ranks(IDset(all.ranks).difference(up))
        for name in ("all", "up", "down", "allocated", "free"):
            getattr(self, name).state = name

    def __getitem__(self, name):
        if name not in ("all", "up", "down", "allocated", "free"):
            raise KeyError(name)
        return getattr(self, name)


def _job_R(flux_handle, jobid):
    f = lib.flux_job_lookup(flux_handle._h(), int(jobid), b"R")
    if f == ffi.NULL:
        return None
    try:
        value = ffi.new("char **")
        if lib.flux_job_lookup_get(f, value) < 0:
            return None  # ended, or not allocated yet
        R = json.loads(_string(value[0]))
        return ResourceSet(json.loads(R) if isinstance(R, str) else R)
    finally:
        lib.flux_future_destroy(f)


class ResourceListRPC:
    """The answer of resource_list(): get() returns a SchedResourceList."""

    def __init__(self, flux_handle):
        self._h = flux_handle
        self._fut = flux_handle.rpc("resource.list")
        self._result = None

    def get(self):
        if self._result is None:
            resp = self._fut.get()
            all_ = ResourceSet(resp["R"])
            up = IDset(resp.get("up", ""))
            import flux.job  # the job list, here only: flux.job imports much
            running = flux.job.job_list(self._h, max_entries=0, attrs=["id"],
                                        userid=lib.FLUX_USERID_UNKNOWN,
                                        states=lib.FLUX_JOB_STATE_RUNNING).get_jobs()
            alloc = ResourceSet()
            for job in running:
                R = _job_R(self._h, job["id"])
                if R is not None:
                    alloc = alloc.union(R)
            self._result = SchedResourceList(all_, up, alloc)
        return self._result


def resource_list(flux_handle):
    """The instance's resources by state (as `flux resource list`); call
    get() on the result for a SchedResourceList."""
    return ResourceListRPC(flux_handle)


def resource_status(flux_handle):
    """The resource service's own view: {R, online, up, drained, excluded}."""
    return flux_handle.rpc("resource.list")


__all__ = ["ResourceSet", "SchedResourceList", "ResourceListRPC", "resource_list",
           "resource_status"]
