"""JournalConsumer: every job event from the job manager's journal."""
import collections
import errno
import json

from flux._core import ffi, lib
from flux._error import oserror, _string
from flux.future import Future
from flux.job.JobID import JobID
from flux.job.event import EventLogEvent


class JournalEvent(EventLogEvent):
    """One event of one job: .jobid, .name, .timestamp, .context.  The
    sentinel (end of the backlog) has jobid -1 and is_empty() true."""

    def __init__(self, jobid, event=None):
        if event is None:
            super().__init__({"name": None, "timestamp": 0.0, "context": {}})
            self.jobid = -1
        else:
            super().__init__(event)
            self.jobid = JobID(jobid)

    def is_empty(self):
        return self.jobid == -1

    @property
    def jobspec(self):
        return self.context.get("jobspec") if self.name == "submit" else None

    @property
    def R(self):
        return self.context.get("R") if self.name == "alloc" else None

    def __str__(self):
        if self.is_empty():
            return "-- sentinel --"
        return "%s %s" % (self.jobid.f58, super().__str__())


class _JournalFuture(Future):
    def _final(self):
        if self.pimpl is None or not lib.flux_future_is_ready(self.pimpl):
            return False
        return lib.flux_rpc_get(self.pimpl, ffi.NULL) < 0


class JournalConsumer:
    """Consume the job manager's events journal.

    FULL: also the backlog of inactive jobs (not only active ones).  SINCE:
    drop backlog events older than this timestamp.  INCLUDE_SENTINEL: poll()
    returns a sentinel JournalEvent (is_empty()) between backlog and live
    events.  Use poll() synchronously, or set_callback() and the handle's
    reactor.  Events of one job come once each, in order."""

    def __init__(self, flux_handle, full=True, since=0.0, include_sentinel=False):
        self.handle = flux_handle
        self.full = full
        self.since = since
        self.include_sentinel = include_sentinel
        self.backlog_done = False
        self._fut = None
        self._pending = collections.deque()
        self._cb = None
        self._stopped = False
        self._cancelled = False

    def start(self):
        if self._fut is not None:
            raise RuntimeError("journal consumer already started")
        f = lib.flux_job_journal(self.handle._h(), lib.FLUX_JOB_JOURNAL_FULL if self.full else 0)
        self._fut = _JournalFuture(self.handle, f, prefix="journal")
        if self._cb is not None:
            self._fut.then(self._on_response)
        return self

    def stop(self):
        """Stop the stream: events already sent are still returned by
        poll() (or passed to the callback), then poll() returns None."""
        if self._fut is None or self._fut.pimpl is None:
            self._stopped = True
            return self
        if not self._cancelled:
            self._cancelled = True
            if lib.flux_job_journal_cancel(self._fut.pimpl) < 0:
                self._stopped = True
                self._fut.destroy()
        return self

    def _read(self):
        """Turn the current response into events on self._pending."""
        idp = ffi.new("flux_jobid_t *")
        evp = ffi.new("char **")
        if lib.flux_job_journal_get(self._fut.pimpl, idp, evp) < 0:
            e = ffi.errno
            if e == errno.ENODATA:
                self._stopped = True
                return
            raise oserror(self._fut.pimpl)
        jobid = int(idp[0])
        events = json.loads(_string(evp[0]))
        self._fut.reset()
        if jobid == lib.FLUX_JOBID_ANY:
            self.backlog_done = True
            if self.include_sentinel:
                self._pending.append(JournalEvent(-1))
            return
        jid = JobID(jobid)  # once per answer: it may carry several events
        for ev in events:
            if not self.backlog_done and self.since and ev.get("timestamp", 0) <= self.since:
                continue
            self._pending.append(JournalEvent(jid, ev))

    def poll(self, timeout=-1.0):
        """The next JournalEvent; None once the stream has ended (after
        stop()); TimeoutError after TIMEOUT seconds."""
        if self._fut is None and not self._stopped:
            raise RuntimeError("journal consumer not started")
        while not self._pending:
            if self._stopped or self._fut is None or self._fut.pimpl is None:
                return None
            if lib.flux_future_wait_for(self._fut.pimpl, float(timeout)) < 0:
                e = ffi.errno
                if e == errno.ETIMEDOUT:
                    raise TimeoutError(errno.ETIMEDOUT, "journal: timed out")
                raise oserror(errnum=e, prefix="journal")
            self._read()
        return self._pending.popleft()

    def set_callback(self, event_cb, *args, **kwargs):
        """Call EVENT_CB(event, *args, **kwargs) from the reactor per event."""
        self._cb = (event_cb, args, kwargs)
        if self._fut is not None:
            self._fut.then(self._on_response)
        return self

    def _on_response(self, fut):
        self._read()
        cb, args, kwargs = self._cb
        while self._pending:
            cb(self._pending.popleft(), *args, **kwargs)
