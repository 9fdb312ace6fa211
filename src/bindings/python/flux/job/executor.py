"""FluxExecutor: a concurrent.futures.Executor whose futures are Flux jobs.

One thread per executor owns a flux.Flux handle and its reactor.  submit()
(from any thread) queues the jobspec and wakes the thread through a pipe;
the thread submits asynchronously and follows every job through one
journal stream (flux_job_journal), not one eventlog watch per job."""
import collections
import concurrent.futures
import errno
import itertools
import logging
import os
import threading

import flux
from flux.job.JobID import JobID
from flux.job.event import MAIN_EVENTS, JobException, event_watch_async
from flux.job.journal import JournalConsumer
from flux.job.jobspec import Jobspec
from flux.job.submit import submit_async

LOGGER = logging.getLogger(__name__)
_COUNTER = itertools.count()
_CANCELLED = concurrent.futures._base.CANCELLED


def _returncode(status):
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status)
    return status


class FluxExecutorFuture(concurrent.futures.Future):
    """A job's future: result() is its exit code (-signal if killed);
    exception() a JobException after a fatal job exception.  jobid() blocks
    until the job has an id."""

    def __init__(self, owning_thread_id, executor=None):
        super().__init__()
        self._owning_thread_id = owning_thread_id
        self._executor = executor
        self._jobid = None
        self._jobid_event = threading.Event()
        self._submit_error = None
        self._lock = threading.RLock()
        self._jobid_callbacks = []
        self._event_callbacks = collections.defaultdict(list)
        self._events = []
        self._exception_event = None
        self._status = None

    def jobid(self, timeout=None):
        """The job's JobID, waiting up to TIMEOUT seconds for it."""
        if self._jobid is None and threading.get_ident() == self._owning_thread_id:
            raise RuntimeError("jobid() would deadlock in the executor's thread")
        if not self._jobid_event.wait(timeout):
            raise concurrent.futures.TimeoutError()
        if self._jobid is None:
            if self.cancelled():
                raise concurrent.futures.CancelledError()
            raise self._submit_error
        return self._jobid

    def add_jobid_callback(self, callback):
        """Call CALLBACK(future) once the job id is known (now if it is)."""
        with self._lock:
            if self._jobid is None and not self._jobid_event.is_set():
                self._jobid_callbacks.append(callback)
                return self
        if self._jobid is not None:
            self._invoke(callback, self)
        return self

    def add_event_callback(self, event, callback):
        """Call CALLBACK(future, event) when the job posts EVENT (one of
        MAIN_EVENTS); events already posted are replayed."""
        if event not in MAIN_EVENTS:
            raise ValueError("%r is not a valid event" % event)
        with self._lock:
            self._event_callbacks[event].append(callback)
            past = [e for e in self._events if e.name == event]
        for e in past:
            self._invoke(callback, self, e)
        return self

    @staticmethod
    def _invoke(callback, *args):
        try:
            callback(*args)
        except Exception:  # callbacks must not break the executor
            LOGGER.exception("exception calling callback for %r", args[0])

    # -- called from the executor thread
    def _set_jobid(self, jobid):
        with self._lock:
            self._jobid = JobID(jobid)
            cbs, self._jobid_callbacks = self._jobid_callbacks, []
            self._jobid_event.set()
        for cb in cbs:
            self._invoke(cb, self)

    def _fail_submit(self, exc):
        self._submit_error = exc
        self._jobid_event.set()
        self._settle(exc=exc)

    def _on_event(self, ev):
        with self._lock:
            self._events.append(ev)
            cbs = list(self._event_callbacks.get(ev.name, ()))
        if ev.name == "exception" and ev.context.get("severity", 0) == 0:
            if self._exception_event is None:
                self._exception_event = ev
        elif ev.name == "finish":
            self._status = ev.context.get("status", 0)
        for cb in cbs:
            self._invoke(cb, self, ev)
        if ev.name == "clean":
            self._finish()
            return True
        return False

    def _notify_cancel(self):
        """A cancelled future: wake as_completed()/wait() and jobid()."""
        with self._condition:
            if self._state == _CANCELLED:
                self.set_running_or_notify_cancel()
        self._jobid_event.set()

    def _finish(self):
        if self.cancelled():
            self._notify_cancel()
            return
        exc_ev = self._exception_event
        if exc_ev is not None:
            self._settle(exc=JobException(exc_ev))
        else:
            self._settle(result=_returncode(self._status or 0))

    def _settle(self, result=None, exc=None):
        try:
            if exc is not None:
                self.set_exception(exc)
            else:
                self.set_result(result)
        except concurrent.futures.InvalidStateError:
            self._notify_cancel()  # cancelled meanwhile

    # -- user API
    def cancel(self, *args, **kwargs):
        """As concurrent.futures and Flux: True if the future is cancelled,
        which it can be only until the executor takes it up; from then on
        it is running() (whatever the job's state), cancel() returns False
        and the job is left alone (flux.job.cancel() ends it, and the
        future gets a JobException)."""
        if self.cancelled():
            return True
        cancelled = super().cancel()
        if cancelled:
            self._jobid_event.set()  # jobid() raises CancelledError
        return cancelled

    def exception(self, timeout=None):
        return super().exception(timeout)

    def __repr__(self):
        return "<FluxExecutorFuture jobid=%s state=%s>" % (
            self._jobid, self._state if hasattr(self, "_state") else "?")


class _ExecutorThread(threading.Thread):
    def __init__(self, executor, handle_args, handle_kwargs, name):
        super().__init__(name=name, daemon=True)
        self.executor = executor
        self.handle_args = handle_args
        self.handle_kwargs = handle_kwargs
        self.ready = threading.Event()
        self.error = None
        self.h = None
        self.jobs = {}          # jobid -> future (followed through the journal)
        self.early = collections.defaultdict(list)  # events before submit's answer
        self.outstanding = 0    # submits without an answer yet
        self.attached = 0
        self.backlog_done = False

    def run(self):
        ex = self.executor
        try:
            self.h = flux.Flux(*self.handle_args, **self.handle_kwargs)
            self.wake_watcher = self.h.fd_watcher_create(ex._rfd, self._on_wake).start()
            self.journal = JournalConsumer(self.h, full=False, include_sentinel=True)
            self.journal.set_callback(self._on_event)
            self.journal.start()
        except Exception as exc:  # pragma: no cover - reported by __init__
            self.error = exc
            self.ready.set()
            return
        self.ready.set()
        try:
            self.h.reactor_run()
        except Exception as exc:
            LOGGER.error("FluxExecutor: %s", exc)
            ex._broken(exc, list(self.jobs.values()))
        finally:
            self.wake_watcher.destroy()
            self.journal.stop()
            self.h.close()

    def _maybe_stop(self):
        ex = self.executor
        if (ex._shutdown and not ex._queue and not self.jobs and self.outstanding == 0
                and self.attached == 0):
            self.h.reactor_stop()

    def _on_wake(self, h, watcher, revents, args):
        ex = self.executor
        try:
            os.read(ex._rfd, 4096)
        except BlockingIOError:
            pass
        with ex._wake_lock:
            ex._wake_pending = False
        if not self.backlog_done:
            return
        self._drain()

    def _drain(self):
        ex = self.executor
        q = ex._queue
        while q:
            op = q.popleft()
            kind = op[0]
            if kind == "submit":
                _, fut, jobspec, kwargs = op
                # Running from here on, as Flux: too late for cancel().
                if not fut.set_running_or_notify_cancel():
                    fut._jobid_event.set()
                    continue
                try:
                    f = submit_async(self.h, jobspec, **kwargs)
                except Exception as exc:
                    fut._fail_submit(exc)
                    continue
                self.outstanding += 1
                f.then(self._on_submit, fut)
            elif kind == "attach":
                _, fut, jobid = op
                if not fut.set_running_or_notify_cancel():
                    fut._jobid_event.set()
                    continue
                fut._set_jobid(jobid)
                self.attached += 1
                try:
                    event_watch_async(self.h, jobid).then(self._on_attach_event, fut)
                except OSError as exc:
                    self.attached -= 1
                    fut._fail_submit(exc)
        self._maybe_stop()

    def _on_submit(self, f, fut):
        self.outstanding -= 1
        try:
            jobid = f.get_id()
        except OSError as exc:
            fut._fail_submit(exc)
            f.destroy()
            self._maybe_stop()
            return
        f.destroy()
        self.jobs[jobid] = fut
        fut._set_jobid(jobid)
        for ev in self.early.pop(jobid, ()):
            self._dispatch(jobid, fut, ev)
        if self.outstanding == 0:
            self.early.clear()

    def _dispatch(self, jobid, fut, ev):
        if fut._on_event(ev):
            self.jobs.pop(jobid, None)
            self._maybe_stop()

    def _on_event(self, ev):
        if ev.is_empty():
            self.backlog_done = True
            self._drain()
            return
        fut = self.jobs.get(ev.jobid)
        if fut is not None:
            self._dispatch(ev.jobid, fut, ev)
        elif self.outstanding > 0:
            self.early[ev.jobid].append(ev)

    def _on_attach_event(self, f, fut):
        try:
            ev = f.get_event()
        except OSError as exc:
            fut._fail_submit(exc)
            ev = None
        if ev is None:  # the stream ended (an error, or our cancel)
            self._attach_done(f)
            f.destroy()
            return
        if fut._on_event(ev):
            self._attach_done(f)
            f.cancel()

    def _attach_done(self, f):
        if not getattr(f, "_counted", False):
            f._counted = True
            self.attached -= 1
            self._maybe_stop()


class FluxExecutor(concurrent.futures.Executor):
    """Submit jobspecs as futures: FluxExecutor().submit(JobspecV1...).

    HANDLE_ARGS / HANDLE_KWARGS open the executor's own flux.Flux handle
    (default: $FLUX_URI); a failure to connect raises OSError here.
    THREADS and POLL_INTERVAL are accepted for flux-core compatibility."""

    def __init__(self, threads=1, thread_name_prefix="", poll_interval=0.1, handle_args=(),
                 handle_kwargs=None):
        if threads < 1:
            raise ValueError("threads must be >= 1")
        self._queue = collections.deque()
        self._submit_lock = threading.Lock()
        self._wake_lock = threading.Lock()
        self._wake_pending = False
        self._shutdown = False
        self._broken_exc = None
        self._rfd, self._wfd = os.pipe()
        os.set_blocking(self._rfd, False)
        name = (thread_name_prefix or "FluxExecutor") + "-%d" % next(_COUNTER)
        self._thread = _ExecutorThread(self, tuple(handle_args), dict(handle_kwargs or {}), name)
        self._thread.start()
        self._thread.ready.wait()
        if self._thread.error is not None:
            self._thread.join()
            self._close_pipe()
            raise self._thread.error

    def _close_pipe(self):
        for fd in (self._rfd, self._wfd):
            try:
                os.close(fd)
            except OSError:
                pass
        self._rfd = self._wfd = -1

    def _wake(self):
        with self._wake_lock:
            if self._wake_pending:
                return
            self._wake_pending = True
        try:
            os.write(self._wfd, b"x")
        except OSError:
            pass

    def _put(self, op):
        with self._submit_lock:
            if self._broken_exc is not None:
                raise RuntimeError("FluxExecutor is broken: %s" % self._broken_exc)
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
            self._queue.append(op)
        self._wake()

    def submit(self, jobspec, **kwargs):
        """Submit JOBSPEC (a Jobspec or its JSON text); returns a
        FluxExecutorFuture.  KWARGS go to flux.job.submit_async (urgency,
        waitable, debug)."""
        if isinstance(jobspec, Jobspec):
            jobspec = jobspec.dumps()
        elif not isinstance(jobspec, (str, bytes)):
            raise TypeError("jobspec must be a Jobspec, str or bytes")
        fut = FluxExecutorFuture(self._thread.ident, self)
        self._put(("submit", fut, jobspec, kwargs))
        return fut

    def attach(self, jobid):
        """A future for an already submitted job."""
        fut = FluxExecutorFuture(self._thread.ident, self)
        self._put(("attach", fut, JobID(jobid)))
        return fut

    def _broken(self, exc, futures):
        with self._submit_lock:
            self._broken_exc = exc
            queued = list(self._queue)
            self._queue.clear()
        for op in queued:
            if op[0] in ("submit", "attach"):
                op[1]._fail_submit(exc)
        for fut in futures:
            fut._settle(exc=exc)

    def shutdown(self, wait=True, *, cancel_futures=False):
        """No more submissions; with WAIT, return once every future is done."""
        with self._submit_lock:
            already = self._shutdown
            self._shutdown = True
            if cancel_futures:
                for op in self._queue:
                    if op[0] == "submit":
                        op[1].cancel()
        if not already:
            self._wake()
        if wait and self._thread.is_alive():
            self._thread.join()
        if not self._thread.is_alive() and self._rfd >= 0:
            self._close_pipe()
