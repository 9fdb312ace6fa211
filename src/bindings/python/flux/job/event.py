"""Job eventlog events, job exceptions, and event watching."""
import errno
import json

from flux._core import ffi, lib
from flux._error import encode, oserror, _string
from flux.future import Future
from flux.job.JobID import JobID

MAIN_EVENTS = frozenset(["submit", "validate", "depend", "priority", "alloc", "start",
                         "finish", "release", "free", "clean", "exception"])


class EventLogEvent(dict):
    """One eventlog entry (RFC 18): .name, .timestamp, .context."""

    def __init__(self, event):
        if isinstance(event, str):
            event = json.loads(event)
        super().__init__(event)
        self.setdefault("context", {})

    @property
    def name(self):
        return self["name"]

    @property
    def timestamp(self):
        return self["timestamp"]

    @property
    def context(self):
        return self["context"]

    @property
    def context_string(self):
        if not self.context:
            return ""
        return " ".join("%s=%s" % (k, json.dumps(v)) for k, v in self.context.items())

    def __str__(self):
        return ("%.6f %s %s" % (self.timestamp, self.name, self.context_string)).rstrip()


class JobException(Exception):
    """A job had a fatal exception (its "exception" event)."""

    def __init__(self, event):
        self.event = event
        ctx = event.context if hasattr(event, "context") else {}
        self.type = ctx.get("type")
        self.severity = ctx.get("severity")
        self.note = ctx.get("note", "")
        super().__init__(str(self))

    def __str__(self):
        s = "job.exception type=%s severity=%s" % (self.type, self.severity)
        return s + (" " + self.note if self.note else "")


class JobEventWatchFuture(Future):
    """A stream of one eventlog's entries (flux_job_event_watch)."""

    def __init__(self, handle, jobid, eventlog, pimpl):
        super().__init__(handle, pimpl, prefix="event_watch")
        self.jobid = jobid
        self.eventlog = eventlog
        self.cancelled = False

    def get_event(self, autoreset=True):
        """The next entry, or None once the stream has ended: the job is
        inactive and every entry was read, or cancel() was called.  OSError
        on failure: FileNotFoundError "unknown job id", or "ID has no
        EVENTLOG" for a job without that eventlog (as `flux job eventlog -p
        EVENTLOG ID`)."""
        self._check()
        s = ffi.new("char **")
        if lib.flux_job_event_watch_get(self.pimpl, s) < 0:
            if ffi.errno == errno.ENODATA:
                return None
            if ffi.errno == errno.ENOENT and self.eventlog != "eventlog":
                err = oserror(self.pimpl)
                if self._job_exists():
                    raise FileNotFoundError(errno.ENOENT, "%s has no %s"
                                            % (self.jobid, self.eventlog))
                raise err
            raise oserror(self.pimpl)
        ev = EventLogEvent(_string(s[0]))
        if autoreset:
            self.reset()
        return ev

    def _job_exists(self):
        """Whether the job has its main eventlog (every job does): libflux
        says "unknown job id" for any eventlog that is not there."""
        f = lib.flux_job_lookup(self.flux_handle._h(), self.jobid, b"eventlog")
        if f == ffi.NULL:
            return True  # cannot tell: do not claim the id is unknown
        try:
            value = ffi.new("char **")
            return lib.flux_job_lookup_get(f, value) == 0 or ffi.errno != errno.ENOENT
        finally:
            lib.flux_future_destroy(f)

    def cancel(self, stop=False):
        if self.pimpl is not None and not self.cancelled:
            self.cancelled = True
            if lib.flux_job_event_watch_cancel(self.pimpl) < 0:
                raise oserror()
        if stop:
            self.flux_handle.reactor_stop()

    def _final(self):
        if self.pimpl is None:
            return True
        if not lib.flux_future_is_ready(self.pimpl):
            return False
        return lib.flux_rpc_get(self.pimpl, ffi.NULL) < 0


def event_watch_async(flux_handle, jobid, eventlog="eventlog"):
    """Start watching JOBID's EVENTLOG; returns a JobEventWatchFuture."""
    jobid = JobID(jobid)
    f = lib.flux_job_event_watch(flux_handle._h(), jobid, encode(eventlog), 0)
    return JobEventWatchFuture(flux_handle, jobid, eventlog, f)


def event_watch(flux_handle, jobid, eventlog="eventlog"):
    """Yield each EventLogEvent of JOBID's EVENTLOG (any of the job's logs,
    "guest.output" too) until the log ends: the main eventlog after "clean",
    another once the job is inactive and all of it was read."""
    fut = event_watch_async(flux_handle, jobid, eventlog)
    try:
        while True:
            ev = fut.get_event()
            if ev is None:
                return
            yield ev
            if eventlog == "eventlog" and ev.name == "clean":
                return
    finally:
        try:
            fut.cancel()
        except OSError:
            pass
        fut.destroy()


def event_wait(flux_handle, jobid, name, eventlog="eventlog", raiseJobException=True):
    """Wait for event NAME in JOBID's EVENTLOG and return it.  A fatal job
    exception first raises JobException (if raiseJobException); an eventlog
    that ends without NAME raises OSError(ENODATA)."""
    for ev in event_watch(flux_handle, jobid, eventlog):
        if ev.name == name:
            return ev
        if (raiseJobException and ev.name == "exception"
                and ev.context.get("severity", 0) == 0):
            raise JobException(ev)
    raise OSError(errno.ENODATA, "eventlog ended without event %s" % name)
