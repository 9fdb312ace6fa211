"""Submit, wait, cancel, kill, raise: the job API's one-shot calls."""
import collections
import numbers
import signal

from flux._core import ffi, lib
from flux._error import encode, oserror, _string
from flux.future import Future
from flux.job.JobID import JobID
from flux.job.jobspec import Jobspec


def _jobspec_text(jobspec):
    if isinstance(jobspec, Jobspec):
        return jobspec.dumps().encode()
    if isinstance(jobspec, (str, bytes)):
        return encode(jobspec)
    raise TypeError("jobspec must be a Jobspec, str or bytes")


class SubmitFuture(Future):
    def get_id(self):
        self._check()
        out = ffi.new("flux_jobid_t *")
        if lib.flux_job_submit_get_id(self.pimpl, out) < 0:
            raise oserror(self.pimpl)
        return JobID(int(out[0]))

    get = get_id


def submit_async(flux_handle, jobspec, urgency=lib.FLUX_JOB_URGENCY_DEFAULT, waitable=False,
                 debug=False, pre_signed=False):
    """Submit JOBSPEC; returns a SubmitFuture (get_id())."""
    if isinstance(urgency, bool) or not isinstance(urgency, numbers.Integral):
        raise TypeError("urgency must be an integer")
    flags = 0
    if waitable:
        flags |= lib.FLUX_JOB_WAITABLE
    if debug:
        flags |= lib.FLUX_JOB_DEBUG
    f = lib.flux_job_submit(flux_handle._h(), _jobspec_text(jobspec), int(urgency), flags)
    return SubmitFuture(flux_handle, f, prefix="submit")


def submit_get_id(future):
    return future.get_id()


def submit(flux_handle, jobspec, urgency=lib.FLUX_JOB_URGENCY_DEFAULT, waitable=False,
           debug=False, pre_signed=False):
    """Submit JOBSPEC and return its JobID."""
    return submit_async(flux_handle, jobspec, urgency, waitable, debug, pre_signed).get_id()


JobWaitResult = collections.namedtuple("JobWaitResult", "jobid success errstr")


class JobWaitFuture(Future):
    def __init__(self, handle, pimpl, jobid):
        super().__init__(handle, pimpl, prefix="wait")
        self.jobid = jobid

    def get_status(self):
        """JobWaitResult(jobid, success, errstr); for a wait on
        FLUX_JOBID_ANY, jobid is the job that ended.  OSError ECHILD when
        no waitable job is left."""
        self._check()
        ok = ffi.new("bool *")
        errstr = ffi.new("char **")
        if lib.flux_job_wait_get_status(self.pimpl, ok, errstr) < 0:
            raise oserror(self.pimpl)
        jobid = self.jobid
        out = ffi.new("flux_jobid_t *")
        if lib.flux_job_wait_get_id(self.pimpl, out) == 0:
            jobid = JobID(int(out[0]))
        return JobWaitResult(jobid, bool(ok[0]), _string(errstr[0]) or "")

    get = get_status


def wait_async(flux_handle, jobid=lib.FLUX_JOBID_ANY):
    """Wait for JOBID to become inactive; returns a JobWaitFuture.  The
    default, FLUX_JOBID_ANY, waits for the next job submitted with
    waitable=True to end (instance owner only)."""
    jobid = JobID(jobid)
    return JobWaitFuture(flux_handle, lib.flux_job_wait(flux_handle._h(), jobid), jobid)


def wait_get_status(future):
    """The JobWaitResult of a wait_async() future (as Flux)."""
    return future.get_status()


def wait(flux_handle, jobid=lib.FLUX_JOBID_ANY):
    """Block until JOBID is inactive: JobWaitResult(jobid, success, errstr)."""
    return wait_async(flux_handle, jobid).get_status()


def _empty(fut):
    if lib.flux_rpc_get(fut.pimpl, ffi.NULL) < 0:
        raise oserror(fut.pimpl)


class _EmptyFuture(Future):
    def get(self):
        self._check()
        _empty(self)


def raise_async(flux_handle, jobid, type, severity=0, note=None):
    """Raise an exception of TYPE and SEVERITY (0: fatal) on JOBID."""
    if isinstance(severity, bool) or not isinstance(severity, numbers.Integral):
        raise TypeError("severity must be an integer")
    f = lib.flux_job_raise(flux_handle._h(), JobID(jobid), encode(type), int(severity),
                           encode(note) if note is not None else ffi.NULL)
    return _EmptyFuture(flux_handle, f, prefix="raise")


def raise_job(flux_handle, jobid, type, severity=0, note=None):
    raise_async(flux_handle, jobid, type, severity, note).get()


def cancel_async(flux_handle, jobid, reason=None):
    f = lib.flux_job_cancel(flux_handle._h(), JobID(jobid),
                            encode(reason) if reason is not None else ffi.NULL)
    return _EmptyFuture(flux_handle, f, prefix="cancel")


def cancel(flux_handle, jobid, reason=None):
    """Cancel JOBID (a fatal "cancel" exception)."""
    cancel_async(flux_handle, jobid, reason).get()


def kill_async(flux_handle, jobid, signum=None):
    if signum is None:
        signum = signal.SIGTERM
    f = lib.flux_job_kill(flux_handle._h(), JobID(jobid), int(signum))
    return _EmptyFuture(flux_handle, f, prefix="kill")


def kill(flux_handle, jobid, signum=None):
    """Send SIGNUM (default SIGTERM) to a running job's tasks."""
    kill_async(flux_handle, jobid, signum).get()


def set_urgency(flux_handle, jobid, urgency):
    _EmptyFuture(flux_handle, lib.flux_job_set_urgency(flux_handle._h(), JobID(jobid),
                                                       int(urgency)), prefix="urgency").get()
