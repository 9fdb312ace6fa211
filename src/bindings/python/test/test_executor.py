"""flux.job.FluxExecutor: concurrent.futures over jobs."""
import concurrent.futures
import os
import subprocess
import sys
import threading

import pytest

import flux
import flux.job
from flux.job import FluxExecutor, JobspecV1, JobException
from conftest import quick, HERE


def test_result_is_exit_code(instance):
    with FluxExecutor() as ex:
        futs = [ex.submit(JobspecV1.from_command(["sh", "-c", "exit %d" % i]))
                for i in range(4)]
        assert [f.result(timeout=60) for f in futs] == [0, 1, 2, 3]
        assert all(isinstance(f.jobid(), flux.job.JobID) for f in futs)


def test_1000_futures_callbacks_cancel(instance):
    js = quick(JobspecV1.from_command(["true"]))
    lock = threading.Lock()
    jobid_cbs = []
    events = {"start": 0, "clean": 0}
    done_cbs = []

    def on_jobid(f):
        with lock:
            jobid_cbs.append(f.jobid())

    def on_event(f, ev):
        with lock:
            events[ev.name] += 1

    with FluxExecutor() as ex:
        futs = []
        for i in range(1000):
            f = ex.submit(js)
            f.add_jobid_callback(on_jobid)
            f.add_event_callback("start", on_event)
            f.add_event_callback("clean", on_event)
            f.add_done_callback(lambda f: done_cbs.append(f))
            futs.append(f)
        # a job that cannot start (held at urgency 0): submitted, so the
        # future is running and cancel() leaves it (as Flux); flux.job.cancel
        # ends the job and the future gets a JobException
        held = ex.submit(JobspecV1.from_command(["true"]), urgency=0)
        held.jobid(timeout=60)
        assert held.running()
        assert not held.cancel()
        assert not held.cancelled()
        with flux.Flux() as h:
            assert flux.job.get_job(h, held.jobid())["state"] == "SCHED"
            flux.job.cancel(h, held.jobid())
        results = [f.result(timeout=120) for f in futs]
    assert results == [0] * 1000
    assert len(set(jobid_cbs)) == 1000 and held.jobid() not in jobid_cbs
    assert events == {"start": 1000, "clean": 1000}
    assert len(done_cbs) == 1000
    exc = held.exception(timeout=60)
    assert isinstance(exc, JobException) and exc.type == "cancel"
    with flux.Flux() as h:
        assert flux.job.result(h, held.jobid()).result == "CANCELED"


def test_as_completed_and_threads(instance):
    js = quick(JobspecV1.from_command(["true"]))
    with FluxExecutor() as ex:
        futs = []
        lock = threading.Lock()

        def worker():
            for _ in range(50):
                f = ex.submit(js)
                with lock:
                    futs.append(f)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        n = sum(1 for f in concurrent.futures.as_completed(futs, timeout=120))
    assert n == 200


def test_cancel_before_submit(instance):
    """cancel() succeeds only for a future the executor has not taken up
    (never submitted); one it has taken up is running() and cancel() leaves
    it alone (as Flux).  The executor's thread is held in a jobid callback
    so that the second future is still queued when it is cancelled."""
    js = quick(JobspecV1.from_command(["true"]))
    gate, entered = threading.Event(), threading.Event()

    def hold_executor_thread(f):
        if threading.current_thread() is not threading.main_thread():
            entered.set()
            gate.wait(60)

    with FluxExecutor() as ex:
        for _ in range(5):  # the callback may run here if the id came first
            first = ex.submit(js)
            first.add_jobid_callback(hold_executor_thread)
            if entered.wait(10):
                break
        assert entered.is_set()
        queued = ex.submit(js)
        assert queued.cancel() and queued.cancelled() and queued.cancel()
        gate.set()
        later = ex.submit(js)
        later.jobid(timeout=60)
        assert later.running() or later.done()
        assert not later.cancel() and not later.cancelled()
        done, _ = concurrent.futures.wait([first, queued, later], timeout=60)
        assert len(done) == 3
    assert first.result() == 0 and later.result() == 0
    with pytest.raises(concurrent.futures.CancelledError):
        queued.jobid(timeout=0)
    with pytest.raises(concurrent.futures.CancelledError):
        queued.result()


def test_exception_and_events(instance):
    with FluxExecutor() as ex:
        fut = ex.submit(JobspecV1.from_command(["sleep", "300"]))
        started = threading.Event()
        fut.add_event_callback("start", lambda f, e: started.set())
        assert started.wait(60)
        assert fut.running()
        assert not fut.cancel()  # running: too late for cancel()
        with flux.Flux() as h:
            flux.job.raise_job(h, fut.jobid(), "test", 0, "raised by test")
        exc = fut.exception(timeout=60)
        assert isinstance(exc, JobException)
        assert exc.type == "test"
        names = []
        fut.add_event_callback("submit", lambda f, e: names.append(e.name))
        assert names == ["submit"]  # replayed
        with pytest.raises(ValueError):
            fut.add_event_callback("bogus", lambda f, e: None)


def test_bad_jobspec_sets_exception(instance):
    with FluxExecutor() as ex:
        fut = ex.submit('{"version": 1}')
        with pytest.raises(OSError):
            fut.result(timeout=60)
        with pytest.raises(OSError):
            fut.jobid(timeout=60)
        with pytest.raises(TypeError):
            ex.submit(1234)


def test_shutdown(instance):
    ex = FluxExecutor()
    fut = ex.submit(quick(JobspecV1.from_command(["true"])))
    ex.shutdown(wait=True)
    assert fut.done() and fut.result() == 0
    with pytest.raises(RuntimeError):
        ex.submit(JobspecV1.from_command(["true"]))
    ex.shutdown()


def test_attach(instance):
    with flux.Flux() as h:
        jobid = flux.job.submit(h, JobspecV1.from_command(["sh", "-c", "exit 7"]))
    with FluxExecutor() as ex:
        assert ex.attach(jobid).result(timeout=60) == 7


def test_dead_instance(fresh_instance):
    ex = FluxExecutor(handle_args=(fresh_instance.uri,))
    fut = ex.submit(JobspecV1.from_command(["sleep", "300"]))
    fut.jobid(timeout=60)
    fresh_instance.stop()
    with pytest.raises(OSError):
        fut.result(timeout=60)
    with pytest.raises(RuntimeError):
        ex.submit(JobspecV1.from_command(["true"]))
    ex.shutdown()
    with pytest.raises(OSError):
        FluxExecutor(handle_args=(fresh_instance.uri,))


def test_parsl_style_snippet(instance):
    """An unmodified script in the style of Parsl's Flux executor."""
    out = subprocess.run([sys.executable, os.path.join(HERE, "parsl_style.py")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("parsl-style: ok")
