"""flux.job: jobspecs, submit/wait, events, steering, listing, ids, journal."""
import errno
import json
import os
import signal
import subprocess

import pytest

import flux
import flux.job
from flux.job import JobspecV1, JobID, JobException, JournalConsumer
from conftest import quick


def test_from_command_jobspec():
    js = JobspecV1.from_command(["hostname", "-s"], num_tasks=4, cores_per_task=2,
                                num_nodes=2)
    d = json.loads(js.dumps())
    assert d["version"] == 1
    node = d["resources"][0]
    assert node["type"] == "node" and node["count"] == 2
    slot = node["with"][0]
    assert slot["type"] == "slot" and slot["count"] == 2
    assert slot["with"] == [{"type": "core", "count": 2}]
    assert d["tasks"] == [{"command": ["hostname", "-s"], "slot": "task",
                           "count": {"per_slot": 1}}]


def test_setters():
    js = JobspecV1.from_command(["true"])
    js.duration = "1m"
    js.cwd = "/tmp"
    js.environment = {"A": "1"}
    js.stdout = "/tmp/out"
    js.stderr = "/tmp/err"
    js.setattr("user.tag", "x")
    js.setattr("system.job.name", "n")
    js.setattr_shell_option("verbose", 1)
    sysattr = js.attributes["system"]
    assert sysattr["duration"] == 60.0
    assert sysattr["cwd"] == "/tmp"
    assert sysattr["environment"] == {"A": "1"}
    assert sysattr["shell"]["options"]["output"]["stdout"] == {"type": "file",
                                                               "path": "/tmp/out"}
    assert js.stderr == "/tmp/err"
    assert js.attributes["user"]["tag"] == "x"
    assert js.getattr("job.name") == "n"
    assert js.getattr_shell_option("verbose") == 1


def test_batch_and_nest():
    js = JobspecV1.from_batch_command("#!/bin/sh\nflux run true\n", "mybatch", num_slots=2)
    d = json.loads(js.dumps())
    cmd = d["tasks"][0]["command"]
    assert os.path.basename(cmd[0]) == "flux" and cmd[1:] == ["broker", "--", "{{tmpdir}}/script"]
    assert d["attributes"]["system"]["job"]["name"] == "mybatch"
    assert d["attributes"]["system"]["files"]["script"]["encoding"] == "utf-8"
    nest = JobspecV1.from_nest_command(["sleep", "0"], num_slots=1, num_nodes=1)
    assert json.loads(nest.dumps())["tasks"][0]["command"][-2:] == ["sleep", "0"]
    with pytest.raises(ValueError):
        JobspecV1.from_batch_command("no shebang", "x")


@pytest.mark.parametrize("kwargs,resources,count", [
    # flux batch/alloc's shapes (doc/design/batch-jobspec.md): -n alone,
    # N slots wherever they fit and a broker on each node they land on
    ({}, [{"type": "slot", "count": 1, "label": "task",
           "with": [{"type": "core", "count": 1}]}],
     {"per_resource": {"type": "node", "count": 1}}),
    ({"num_slots": 4, "cores_per_slot": 2, "gpus_per_slot": 1},
     [{"type": "slot", "count": 4, "label": "task",
       "with": [{"type": "core", "count": 2}, {"type": "gpu", "count": 1}]}],
     {"per_resource": {"type": "node", "count": 1}}),
    # -N: one slot (one broker) per node, the cores and GPUs spread evenly
    ({"num_slots": 3, "num_nodes": 2},
     [{"type": "node", "count": 2,
       "with": [{"type": "slot", "count": 1, "label": "task",
                 "with": [{"type": "core", "count": 2}]}]}],
     {"per_slot": 1}),
    ({"num_slots": 4, "num_nodes": 2, "gpus_per_slot": 1, "exclusive": True},
     [{"type": "node", "count": 2, "exclusive": True,
       "with": [{"type": "slot", "count": 1, "label": "task",
                 "with": [{"type": "core", "count": 2}, {"type": "gpu", "count": 2}]}]}],
     {"per_slot": 1}),
])
def test_batch_and_nest_shape(kwargs, resources, count):
    for js in (JobspecV1.from_batch_command("#!/bin/sh\ntrue\n", "b", **kwargs),
               JobspecV1.from_nest_command(["true"], **kwargs)):
        d = json.loads(js.dumps())
        assert d["resources"] == resources
        assert d["tasks"][0]["count"] == count
        assert d["tasks"][0]["slot"] == "task"


def test_batch_shape_is_the_cli_shape(h, tmp_path):
    """What `flux batch` submits for the same request (its jobspec as stored)."""
    script = tmp_path / "b.sh"
    script.write_text("#!/bin/sh\ntrue\n")
    for args, kwargs in ((["-n2", "-c2"], {"num_slots": 2, "cores_per_slot": 2}),
                         (["-N2", "-n4"], {"num_slots": 4, "num_nodes": 2})):
        jobid = subprocess.check_output(["flux", "batch", "--urgency=0"] + args + [str(script)],
                                        text=True).strip()
        try:
            cli = json.loads(subprocess.check_output(["flux", "job", "info", jobid, "jobspec"],
                                                     text=True))
        finally:
            flux.job.cancel(h, JobID(jobid))
        py = json.loads(JobspecV1.from_batch_command(script.read_text(), "b.sh",
                                                     **kwargs).dumps())
        assert py["resources"] == cli["resources"], args
        assert py["tasks"][0]["count"] == cli["tasks"][0]["count"], args
        assert py["tasks"][0]["command"][1:] == cli["tasks"][0]["command"][1:], args
        assert py["attributes"]["system"]["files"] == cli["attributes"]["system"]["files"]
        # As Flux: instances run with -o exit-timeout=none
        assert cli["attributes"]["system"]["shell"]["options"]["exit-timeout"] == "none"
        assert py["attributes"]["system"]["shell"]["options"]["exit-timeout"] == "none"


def test_nest_conf_is_json():
    """conf= is written as conf.json, which fluxd reads as Flux's brokers do."""
    conf = {"tbon": {"fanout": 3}, "a": {"b c": [1, "x"], "t": True}}
    js = JobspecV1.from_nest_command(["true"], broker_opts=["-Sx=1"], conf=conf)
    d = json.loads(js.dumps())
    assert d["tasks"][0]["command"][1:5] == ["broker", "-Sx=1", "-c{{tmpdir}}/conf.json", "--"]
    assert json.loads(d["attributes"]["system"]["files"]["conf.json"]["data"]) == conf
    with pytest.raises(ValueError):
        JobspecV1.from_nest_command(["true"], num_slots=1, num_nodes=2)


def test_batch_and_nest_jobs_complete(h):
    """Both kinds are accepted at submit and their instances run to the end."""
    script = ('#!/bin/sh\nflux run true && test "$(flux getattr size)" = 2 '
              '&& test "$1" = arg1\n')
    batch = JobspecV1.from_batch_command(script, "pybatch", args=["arg1"], num_slots=2,
                                         num_nodes=2)
    nest = JobspecV1.from_nest_command(
        ["sh", "-c", 'test "$(flux config get tbon.fanout)" = 3'], num_slots=2,
        conf={"tbon": {"fanout": 3}})
    for js in (batch, nest):
        js.environment = dict(os.environ)
    bare = JobspecV1.from_nest_command(["true"])  # no environment: flux by full path
    jobs = []
    for js in (batch, nest, bare):
        js.duration = "2m"
        jobs.append(flux.job.submit(h, js, waitable=True))
    for jobid in jobs:
        res = flux.job.wait(h, jobid)
        assert res.success, (jobid, res.errstr)
    assert flux.job.JobList(h, ids=[jobs[0]]).jobs()[0].name == "pybatch"


@pytest.mark.parametrize("args,exc", [
    (([],), ValueError),
    (("true",), TypeError),
    (([1],), TypeError),
    ((["true"], 0), ValueError),
    ((["true"], 3, 1, None, 2), ValueError),
])
def test_bad_jobspec_args(args, exc):
    with pytest.raises(exc):
        JobspecV1.from_command(*args)


def test_bad_setters():
    js = JobspecV1.from_command(["true"])
    with pytest.raises(ValueError):
        js.duration = "soon"
    with pytest.raises(ValueError):
        js.duration = -1
    with pytest.raises(TypeError):
        js.environment = ["A=1"]


def test_jobid_forms():
    j = JobID(1234567890123)
    for form in (j.f58, j.dec, j.hex, j.dothex, j.kvs, j.words, j.f58plain):
        assert JobID(form) == j
    assert j.kvs.startswith("job.")
    assert j.hex.startswith("0x")
    assert str(j) == j.f58
    assert JobID(j) is j
    with pytest.raises(ValueError):
        JobID("not-a-jobid")
    with pytest.raises(TypeError):
        JobID(1.5)


def test_submit_wait(h):
    jobid = flux.job.submit(h, JobspecV1.from_command(["true"]), waitable=True)
    assert isinstance(jobid, JobID)
    res = flux.job.wait(h, jobid)
    assert res.success and res.jobid == jobid


def test_submit_async_wait_async_failure(h):
    fut = flux.job.submit_async(h, JobspecV1.from_command(["sh", "-c", "exit 3"]))
    jobid = fut.get_id()
    res = flux.job.wait_async(h, jobid).get_status()
    assert not res.success
    assert "3" in res.errstr


def test_submit_then(h):
    ids = []
    for _ in range(3):
        flux.job.submit_async(h, quick(JobspecV1.from_command(["true"]))).then(
            lambda f: ids.append(f.get_id()))
    h.reactor_run()
    assert len(ids) == 3 and len(set(ids)) == 3


def test_bad_jobspec_rejected(h):
    with pytest.raises(OSError) as e:
        flux.job.submit(h, '{"version": 1, "resources": []}')
    assert e.value.errno == errno.EINVAL or e.value.errno == errno.EPROTO
    with pytest.raises(OSError):
        flux.job.submit(h, "this is not a jobspec")
    with pytest.raises(TypeError):
        flux.job.submit(h, 42)


def test_unknown_jobid(h):
    bogus = JobID(123456789)
    with pytest.raises(OSError) as e:
        flux.job.wait(h, bogus)
    assert e.value.errno == errno.ENOENT
    with pytest.raises(OSError) as e:
        list(flux.job.event_watch(h, bogus))
    assert e.value.errno == errno.ENOENT
    with pytest.raises(OSError):
        flux.job.cancel(h, bogus)
    assert flux.job.get_job(h, bogus) is None


def test_event_watch_missing_eventlog(h):
    """A log outside guest.*: "ID has no NAME", not "unknown job id".  A
    guest log is waited for, as in Flux: a job that ends without one
    ends the stream with no event."""
    jobid = flux.job.submit(h, JobspecV1.from_command(["true"]), urgency=0)  # never runs
    try:
        with pytest.raises(FileNotFoundError) as e:
            list(flux.job.event_watch(h, jobid, eventlog="nosuch.eventlog"))
        assert e.value.strerror == "%s has no nosuch.eventlog" % jobid
        cli = subprocess.run(["flux", "job", "eventlog", "-p", "nosuch.eventlog",
                              str(jobid)], capture_output=True, text=True)
        assert cli.returncode != 0 and e.value.strerror in cli.stderr
        with pytest.raises(FileNotFoundError) as e:
            list(flux.job.event_watch(h, JobID(123456789), eventlog="guest.exec.eventlog"))
        assert e.value.strerror == "unknown job id"
    finally:
        flux.job.cancel(h, jobid)
    assert list(flux.job.event_watch(h, jobid, eventlog="guest.exec.eventlog")) == []


def test_event_watch_and_wait(h):
    jobid = flux.job.submit(h, quick(JobspecV1.from_command(["true"])))
    names = [ev.name for ev in flux.job.event_watch(h, jobid)]
    assert names[0] == "submit" and names[-1] == "clean"
    assert "start" in names and "finish" in names
    ev = flux.job.event_wait(h, jobid, "finish")
    assert ev.context["status"] == 0
    with pytest.raises(OSError) as e:
        flux.job.event_wait(h, jobid, "no-such-event")
    assert e.value.errno == errno.ENODATA


def test_event_watch_async_then(h):
    jobid = flux.job.submit(h, quick(JobspecV1.from_command(["true"])))
    names = []

    def cb(f):
        ev = f.get_event()
        if ev is None:
            return
        names.append(ev.name)
        if ev.name == "clean":
            f.cancel()

    flux.job.event_watch_async(h, jobid).then(cb)
    h.reactor_run()
    assert names[0] == "submit" and names[-1] == "clean"


def test_event_watch_other_log_ends(h):
    """A log other than the main one ends once the job is inactive, with
    every entry (and RFC 24 eof entries for both streams)."""
    jobid = flux.job.submit(h, JobspecV1.from_command(["sh", "-c", "echo hi; sleep 0.5"]))
    flux.job.event_wait(h, jobid, "start")  # the output log is there from the start
    names = []
    ended = []

    def cb(f):
        ev = f.get_event()
        if ev is None:
            ended.append(True)
            f.destroy()
            h.reactor_stop()
            return
        names.append(ev.name)

    def give_up(handle, w, revents, args):
        handle.reactor_stop()

    flux.job.event_watch_async(h, jobid, "guest.output").then(cb)
    timer = h.timer_watcher_create(30, give_up).start()
    h.reactor_run()
    timer.destroy()
    assert ended, "the guest.output watch did not end with the job"
    assert names[0] == "header" and "data" in names
    stored = [ev.name for ev in flux.job.event_watch(h, jobid, "guest.output")]
    assert stored == names
    eofs = [ev.context["stream"] for ev in flux.job.event_watch(h, jobid, "guest.output")
            if ev.name == "data" and ev.context.get("eof")]
    assert sorted(eofs) == ["stderr", "stdout"]
    with pytest.raises(OSError) as e:
        flux.job.event_wait(h, jobid, "no-such-event", eventlog="guest.output")
    assert e.value.errno == errno.ENODATA


def test_cancel_and_event_wait_raises(h):
    js = JobspecV1.from_command(["sleep", "300"])
    jobid = flux.job.submit(h, js)
    flux.job.event_wait(h, jobid, "start")
    flux.job.cancel(h, jobid, "test cancel")
    with pytest.raises(JobException) as e:
        flux.job.event_wait(h, jobid, "clean")
    assert e.value.type == "cancel"
    info = flux.job.result(h, jobid)
    assert info.result == "CANCELED"


def test_kill(h):
    jobid = flux.job.submit(h, JobspecV1.from_command(["sleep", "300"]))
    flux.job.event_wait(h, jobid, "start")
    flux.job.kill(h, jobid, signal.SIGKILL)
    info = flux.job.result(h, jobid)
    assert info.returncode == -signal.SIGKILL
    assert info.result == "FAILED"


def test_raise(h):
    jobid = flux.job.submit(h, JobspecV1.from_command(["sleep", "300"]))
    flux.job.event_wait(h, jobid, "start")
    getattr(flux.job, "raise")(h, jobid, "mytype", 0, "a note")
    ev = flux.job.event_wait(h, jobid, "exception", raiseJobException=False)
    assert ev.context["type"] == "mytype" and ev.context["note"] == "a note"
    assert flux.job.result(h, jobid).result == "FAILED"


def test_result_and_get_job(h):
    jobid = flux.job.submit(h, JobspecV1.from_command(["sh", "-c", "exit 5"]))
    info = flux.job.result(h, jobid)
    assert info.id == jobid
    assert info.returncode == 5 and info.result == "FAILED"
    d = flux.job.get_job(h, jobid)
    assert d["id"] == jobid and d["state"] == "INACTIVE" and d["result"] == "FAILED"


def test_job_list_and_joblist(h):
    js = quick(JobspecV1.from_command(["true"]))
    js.setattr("system.job.name", "listme")
    ids = [flux.job.submit(h, js) for _ in range(3)]
    for i in ids:
        flux.job.wait(h, i)
    running = flux.job.submit(h, JobspecV1.from_command(["sleep", "300"]))
    flux.job.event_wait(h, running, "start")
    jobs = flux.job.job_list(h, max_entries=0, attrs=["state", "name"],
                             states=flux.constants.FLUX_JOB_STATE_INACTIVE).get_jobs()
    listed = {j["id"] for j in jobs if j.get("name") == "listme"}
    assert set(ids) <= listed
    assert all(set(j) <= {"id", "state", "name"} for j in jobs)
    run = flux.job.JobList(h, filters=["running"]).jobs()
    assert [j.id for j in run] == [running]
    done = flux.job.JobList(h, filters=["completed"], name="listme").jobs()
    assert {j.id for j in done} >= set(ids)
    assert flux.job.JobList(h, ids=[ids[0]]).jobs()[0].id == ids[0]
    # cwd, project, bank: from the jobspec, "" when unset (as Flux)
    acct = quick(JobspecV1.from_command(["true"]))
    acct.cwd = "/tmp"
    acct.setattr("system.project", "physics")
    acct.setattr("system.bank", "b42")
    acct_id = flux.job.submit(h, acct)
    flux.job.wait(h, acct_id)
    info = flux.job.JobList(h, ids=[acct_id, ids[0]]).jobs()
    assert [(j.cwd, j.project, j.bank) for j in info] == [("/tmp", "physics", "b42"),
                                                         (info[1].cwd, "", "")]
    # By id, the job manager looks up just those (in the order asked).
    allstates = flux.constants.FLUX_JOB_STATE_ACTIVE | flux.constants.FLUX_JOB_STATE_INACTIVE
    got = h.rpc("job-manager.list", {"ids": [ids[2], 12345, ids[0]],
                                     "states": allstates}).get()["jobs"]
    assert [j["id"] for j in got] == [ids[2], ids[0]]
    both = flux.job.job_list(h, attrs=["name"], ids={ids[0], ids[1]}).get_jobs()
    assert sorted(j["id"] for j in both) == sorted(ids[:2])
    assert all(j["name"] == "listme" for j in both)
    with pytest.raises(ValueError):
        flux.job.JobList(h, filters=["bogus"])
    flux.job.cancel(h, running)
    flux.job.wait(h, running)


def test_journal_consumer_100_jobs(h):
    jc = JournalConsumer(h, full=False, include_sentinel=True).start()
    assert jc.poll(timeout=10).is_empty() or True
    # drain the backlog up to the sentinel
    while not jc.backlog_done:
        jc.poll(timeout=10)
    js = quick(JobspecV1.from_command(["true"]))
    ids = set()
    futs = [flux.job.submit_async(h, js) for _ in range(100)]
    ids = {f.get_id() for f in futs}
    seen = {i: [] for i in ids}
    done = 0
    while done < len(ids):
        ev = jc.poll(timeout=30)
        if ev.jobid in seen:
            seen[ev.jobid].append(ev.name)
            if ev.name == "clean":
                done += 1
    expected = ["submit", "validate", "depend", "priority", "alloc", "start", "finish",
                "release", "free", "clean"]
    for i, names in seen.items():
        assert names == expected, (i, names)
    jc.stop()  # the job manager ends the stream (ENODATA): poll drains, then None
    while jc.poll(timeout=10) is not None:
        pass
    assert jc.poll() is None


def test_journal_consumer_full_backlog_and_callback(h):
    jobid = flux.job.submit(h, quick(JobspecV1.from_command(["true"])))
    flux.job.wait(h, jobid)
    got = []

    def cb(ev):
        if ev.jobid == jobid:
            got.append(ev.name)
            if ev.name == "clean":
                jc.stop()

    ticks = []

    def guard(handle, w, revents, args):
        if jc._stopped:  # the job manager ended the stream (ENODATA)
            w.stop()
            return
        ticks.append(1)
        if len(ticks) > 600:
            raise TimeoutError("the journal did not end after stop()")

    jc = JournalConsumer(h, full=True)
    jc.set_callback(cb)
    jc.start()
    h.timer_watcher_create(0.05, guard, repeat=0.05).start()
    h.reactor_run()
    assert got[0] == "submit" and got[-1] == "clean"


def test_journal_poll_timeout(h):
    jc = JournalConsumer(h, full=False).start()
    with pytest.raises(TimeoutError):
        while True:
            jc.poll(timeout=0.2)
    jc.stop()


def test_jobinfo_status_matches_flux_jobs(h):
    """status, status_abbrev, returncode, result_abbrev: the words of
    `flux jobs -o {...}` for the same jobs (Flux's: RUN, CD, CA, -128...)."""
    jobs = {"completed": flux.job.submit(h, JobspecV1.from_command(["true"])),
            "failed": flux.job.submit(h, JobspecV1.from_command(["sh", "-c", "exit 3"])),
            "held": flux.job.submit(h, JobspecV1.from_command(["true"]), urgency=0)}
    js = JobspecV1.from_command(["sleep", "300"])
    js.duration = "100s"
    jobs["running"] = flux.job.submit(h, js)
    flux.job.event_wait(h, jobs["running"], "start")
    jobs["killed"] = flux.job.submit(h, JobspecV1.from_command(["sleep", "300"]))
    flux.job.event_wait(h, jobs["killed"], "start")
    flux.job.kill(h, jobs["killed"], signal.SIGKILL)
    for name in ("completed", "failed", "killed"):
        flux.job.result(h, jobs[name])
    jobs["pending"] = flux.job.submit(h, JobspecV1.from_command(["true"]), urgency=0)
    jobs["canceled"] = jobs.pop("held")
    flux.job.cancel(h, jobs["canceled"])
    jobs["raised"] = flux.job.submit(h, JobspecV1.from_command(["true"]), urgency=0)
    getattr(flux.job, "raise")(h, jobs["raised"], "test", 0, "before it ran")
    for name in ("canceled", "raised"):
        flux.job.result(h, jobs[name])
    want = {"completed": "COMPLETED CD 0 CD", "failed": "FAILED F 3 F",
            "canceled": "CANCELED CA -128 CA", "killed": "FAILED F -9 F",
            "raised": "FAILED F 1 F",
            "running": "RUN R", "pending": "SCHED S"}
    try:
        for name, jobid in jobs.items():
            info = flux.job.JobList(h, ids=[jobid]).jobs()[0]
            got = " ".join(str(v) for v in (info.status, info.status_abbrev, info.returncode,
                                            info.result_abbrev)).split()
            cli = subprocess.check_output(
                ["flux", "jobs", "-n", "-o",
                 "{status} {status_abbrev} {returncode} {result_abbrev}", str(jobid)],
                text=True).split()
            assert got == cli == want[name].split(), name
            d = info.to_dict()
            assert (d["status"], d["status_abbrev"]) == (info.status, info.status_abbrev)
            if name == "running":
                assert 0 < info.t_remaining <= 100
            else:
                assert info.t_remaining == 0.0
    finally:
        flux.job.cancel(h, jobs["running"])
        flux.job.cancel(h, jobs["pending"])


def test_wait_any_waitable(fresh_instance):
    """wait() with no id: waitable jobs only, each once, then ECHILD (as Flux)."""
    h = flux.Flux(fresh_instance.uri)
    with pytest.raises(OSError) as e:
        flux.job.wait(h)
    assert e.value.errno == errno.ECHILD
    ok = flux.job.submit(h, quick(JobspecV1.from_command(["true"])), waitable=True)
    bad = flux.job.submit(h, JobspecV1.from_command(["false"]), waitable=True)
    plain = flux.job.submit(h, quick(JobspecV1.from_command(["true"])))
    results = {}
    for _ in range(2):
        res = flux.job.wait(h)
        results[res.jobid] = res
    assert set(results) == {ok, bad}
    assert isinstance(results[ok].jobid, JobID)
    assert results[ok].success and results[ok].errstr == ""
    assert not results[bad].success and "exit code 1" in results[bad].errstr
    with pytest.raises(OSError) as e:
        flux.job.wait_async(h).get_status()
    assert e.value.errno == errno.ECHILD
    assert flux.job.wait(h, plain).success  # by id: any job, as before


def test_wait_any_async_and_claimed_by_id(fresh_instance):
    """A pending wait-any gets the next waitable job to end; one left without a
    job (the only waitable job is waited for by id) gets ECHILD."""
    h = flux.Flux(fresh_instance.uri)
    hold = flux.job.submit(h, JobspecV1.from_command(["sleep", "30"]), waitable=True)
    flux.job.event_wait(h, hold, "start")
    any_fut = flux.job.wait_async(h)
    by_id = flux.job.wait_async(h, hold)
    with pytest.raises(OSError) as e:
        any_fut.get_status()
    assert e.value.errno == errno.ECHILD
    quickjob = flux.job.submit(h, JobspecV1.from_command(["sleep", "0.5"]), waitable=True)
    any_fut = flux.job.wait_async(h)
    res = flux.job.wait_get_status(any_fut)
    assert res.jobid == quickjob and res.success
    flux.job.cancel(h, hold)
    res = by_id.get_status()
    assert res.jobid == hold and not res.success and "cancel" in res.errstr
    with pytest.raises(OSError) as e:
        flux.job.wait(h)
    assert e.value.errno == errno.ECHILD


def test_result_async_and_job_list_inactive(h):
    jobid = flux.job.submit(h, JobspecV1.from_command(["sh", "-c", "exit 2"]))
    got = []
    flux.job.result_async(h, jobid).then(lambda f: got.append(f.get_info()))
    h.reactor_run()
    assert got[0].id == jobid and got[0].result == "FAILED" and got[0].returncode == 2
    assert flux.job.result_async(h, jobid).get().returncode == 2
    rpc = flux.job.job_list_inactive(h, max_entries=1000)
    infos = list(rpc.get_jobinfos())
    assert jobid in [i.id for i in infos] and all(i.state == "INACTIVE" for i in infos)
    assert rpc.get_jobinfo(jobid).returncode == 2
    with pytest.raises(OSError):
        rpc.get_jobinfo(JobID(123456789))
    assert flux.job.job_list_id(h, jobid).get_jobinfo().id == jobid


def test_job_kvs(h):
    jobid = flux.job.submit(h, JobspecV1.from_command(["echo", "hi"]))
    flux.job.wait(h, jobid)
    kd = flux.job.job_kvs(h, jobid)
    assert {"eventlog", "jobspec", "R"} <= set(kd)
    assert kd["jobspec"]["tasks"][0]["command"] == ["echo", "hi"]
    assert "output" in flux.job.job_kvs_guest(h, jobid)
    looked = flux.job.job_kvs_lookup(h, jobid, keys=["jobspec", "R"])
    assert looked["id"] == jobid and looked["R"]["version"] == 1
    assert flux.job.job_kvs_lookup(h, JobID(123456789)) is None


def test_validate_jobspec():
    js = JobspecV1.from_command(["true"])
    assert flux.job.validate_jobspec(js) is True
    assert flux.job.validate_jobspec(js.dumps(), require_version=1) is True
    assert flux.job.validate_jobspec("null") == (1, "Unable to parse JSON")
    bad = json.loads(js.dumps())
    bad["tasks"][0]["command"] = []
    with pytest.raises(TypeError):
        flux.job.validate_jobspec(bad)
    bad = json.loads(js.dumps())
    bad["resources"][0]["count"] = 0
    with pytest.raises(ValueError, match="count"):
        flux.job.validate_jobspec(bad)
    bad = json.loads(js.dumps())
    bad["bogus"] = 1
    with pytest.raises(ValueError, match="bogus"):
        flux.job.validate_jobspec(bad)
    with pytest.raises(ValueError):
        flux.job.validate_jobspec("{not json")


def test_wait_by_id_then_disconnect_frees_the_job_for_wait_any(fresh_instance):
    """A client waiting by id that goes away no longer claims the job: a
    wait for any job then gets it (it would get ECHILD while the claim held)."""
    h = flux.Flux(fresh_instance.uri)
    jobid = flux.job.submit(h, JobspecV1.from_command(["sleep", "1"]), waitable=True)
    other = flux.Flux(fresh_instance.uri)
    flux.job.wait_async(other, jobid)
    with pytest.raises(OSError) as e:
        flux.job.wait(h)  # the only waitable job is claimed
    assert e.value.errno == errno.ECHILD
    other.close()
    flux.job.event_wait(h, jobid, "start")  # the disconnect is handled by now
    res = flux.job.wait(h)
    assert res.jobid == jobid and res.success
