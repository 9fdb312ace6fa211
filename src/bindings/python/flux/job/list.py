"""job_list, JobList, get_job, result: listing jobs through flux_job_list()."""
import errno
import json
import os
import pwd

from flux._core import ffi, lib
from flux._error import oserror, _string
from flux.future import Future
from flux.job.JobID import JobID
from flux.job.info import JobInfo, STATE_BITS
from flux.job.event import event_wait

_STATE_FILTERS = dict((k.lower(), v) for k, v in STATE_BITS.items())
_STATE_FILTERS.update({
    "pending": lib.FLUX_JOB_STATE_PENDING,
    "running": lib.FLUX_JOB_STATE_RUNNING,
    "active": lib.FLUX_JOB_STATE_ACTIVE,
})
_RESULT_FILTERS = {"completed": "COMPLETED", "failed": "FAILED", "canceled": "CANCELED",
                   "cancelled": "CANCELED", "timeout": "TIMEOUT"}
ALL_STATES = lib.FLUX_JOB_STATE_ACTIVE | lib.FLUX_JOB_STATE_INACTIVE


class JobListRPC(Future):
    """The future of job_list(): get_jobs() is a list of dicts, get() is
    {"jobs": [...]}."""

    def __init__(self, handle, pimpl, filt=None):
        super().__init__(handle, pimpl, prefix="job-list")
        self._filt = filt
        self._jobs = None

    def get_jobs(self):
        if self._jobs is None:
            self._check()
            out = ffi.new("json_t **")
            if lib.flux_job_list_get(self.pimpl, out) < 0:
                raise oserror(self.pimpl)
            s = lib.json_dumps(out[0], 0)
            if s == ffi.NULL:
                raise MemoryError()
            try:
                jobs = json.loads(ffi.string(s).decode())
            finally:
                lib.free(s)
            if self._filt:
                jobs = self._filt(jobs)
            self._jobs = jobs
        return self._jobs

    def get(self):
        return {"jobs": self.get_jobs()}

    def get_jobinfos(self):
        """The jobs as JobInfo objects (as Flux), a generator."""
        for job in self.get_jobs():
            yield JobInfo(job)

    def get_jobinfo(self, jobid=None):
        """One job's JobInfo: JOBID's (default the first listed);
        OSError(ENOENT) if the list does not hold it."""
        for job in self.get_jobs():
            if jobid is None or job["id"] == int(JobID(jobid)):
                return JobInfo(job)
        raise OSError(errno.ENOENT, "job %s not found" % (jobid if jobid is not None else ""))


def _userid(user):
    if user is None:
        return os.getuid()
    if user == "all":
        return lib.FLUX_USERID_UNKNOWN
    if isinstance(user, int):
        return user
    try:
        return int(user)
    except ValueError:
        try:
            return pwd.getpwnam(user).pw_uid
        except KeyError:
            raise ValueError("unknown user %r" % user) from None


def job_list(flux_handle, max_entries=1000, attrs=("all",), userid=None, states=0, results=0,
             since=0.0, name=None, queue=None, ids=None):
    """List jobs, newest first; returns a JobListRPC.  STATES is a mask of
    flux.constants.FLUX_JOB_STATE_* (0: active), USERID a uid
    (FLUX_USERID_UNKNOWN: every user's)."""
    if userid is None:
        userid = os.getuid()
    if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 0:
        raise ValueError("max_entries must be an integer >= 0")
    if isinstance(attrs, str):
        raise TypeError("attrs must be a list of strings")
    attrs = list(attrs)
    want = None if "all" in attrs else set(attrs)

    def filt(job):
        if since and job.get("t_inactive", 0.0) and job["t_inactive"] <= since:
            return False
        if name is not None and job.get("name") != name:
            return False
        if queue is not None and job.get("queue") != queue:
            return False
        if ids is not None and job["id"] not in ids:
            return False
        if results:
            st = job.get("state")
            if st != "INACTIVE":
                return False
        return True

    needs_filter = bool(since or name is not None or queue is not None or ids is not None
                        or results)
    keep = None
    strip = set()
    if want is not None:
        need = {"name", "queue", "t_inactive", "state"} if needs_filter else set()
        strip = need - want
        keep = sorted(want | need)

    def select(jobs):
        jobs = [j for j in jobs if filt(j)] if needs_filter else jobs
        if strip:
            jobs = [{k: v for k, v in j.items() if k not in strip} for j in jobs]
        if needs_filter and max_entries:
            jobs = jobs[:max_entries]
        return jobs

    attrs_arg = json.dumps(keep).encode() if keep else ffi.NULL
    if ids is not None:
        # Each job looked up on its own, not the whole list filtered here.
        idv = sorted(ids, reverse=True)  # newest first, as the list
        f = lib.flux_job_list_ids(flux_handle._h(), ffi.new("flux_jobid_t[]", idv) if idv
                                  else ffi.NULL, len(idv), attrs_arg)
    else:
        f = lib.flux_job_list(flux_handle._h(), 0 if needs_filter else int(max_entries),
                              attrs_arg, userid, int(states))
    if f == ffi.NULL:
        raise OSError(ffi.errno, os.strerror(ffi.errno))
    fut = JobListRPC(flux_handle, f, select)
    return fut


def job_list_id(flux_handle, jobid, attrs=("all",)):
    """A JobListRPC for one job (any user, any state)."""
    return job_list(flux_handle, 0, attrs, lib.FLUX_USERID_UNKNOWN, ALL_STATES,
                    ids={int(JobID(jobid))})


def get_job(flux_handle, jobid):
    """A dict of JOBID's listing (with "result" etc.), or None if unknown."""
    jobs = job_list_id(flux_handle, jobid).get_jobs()
    if not jobs:
        return None
    return JobInfo(jobs[0]).to_dict()


def result(flux_handle, jobid, flags=0):
    """Wait for JOBID to finish and return its JobInfo (result, returncode)."""
    jobid = JobID(jobid)
    event_wait(flux_handle, jobid, "clean", raiseJobException=False)
    jobs = job_list_id(flux_handle, jobid).get_jobs()
    if not jobs:
        raise OSError(2, "unknown job id %s" % jobid)
    return JobInfo(jobs[0])


class JobResultFuture(Future):
    """The future of result_async(): ready once the job is inactive; get()
    and get_info() return its JobInfo (result, returncode, ...)."""

    def __init__(self, handle, pimpl, jobid):
        super().__init__(handle, pimpl, prefix="result")
        self.jobid = jobid

    def get_info(self):
        self._check()
        ok = ffi.new("bool *")
        errstr = ffi.new("char **")
        if lib.flux_job_wait_get_status(self.pimpl, ok, errstr) < 0:
            raise oserror(self.pimpl)
        jobs = job_list_id(self.flux_handle, self.jobid).get_jobs()
        if not jobs:
            raise OSError(errno.ENOENT, "unknown job id %s" % self.jobid)
        return JobInfo(jobs[0])

    def get(self):
        return self.get_info()


def result_async(flux_handle, jobid, flags=0):
    """A JobResultFuture for JOBID (get(), get_info(), then()), as Flux.
    Any job may be waited for this way: fluxd answers a wait by id for
    every job, waitable or not."""
    jobid = JobID(jobid)
    f = lib.flux_job_wait(flux_handle._h(), jobid)
    if f == ffi.NULL:
        raise OSError(ffi.errno, os.strerror(ffi.errno))
    return JobResultFuture(flux_handle, f, jobid)


def job_list_inactive(flux_handle, since=0.0, max_entries=1000, attrs=("all",), name=None,
                      queue=None):
    """A JobListRPC of the inactive jobs (every user's the caller may see),
    newest first; SINCE: only those inactive after that time."""
    return job_list(flux_handle, max_entries=max_entries, attrs=attrs,
                    userid=lib.FLUX_USERID_UNKNOWN, states=lib.FLUX_JOB_STATE_INACTIVE,
                    since=since, name=name, queue=queue)


class JobList:
    """flux-core's JobList: JobList(h, filters=["running", "failed"], user=...).
    jobs() returns JobInfo objects."""

    def __init__(self, flux_handle, attrs=("all",), filters=None, ids=None, user=None,
                 max_entries=1000, since=0.0, name=None, queue=None):
        self.handle = flux_handle
        self.attrs = list(attrs)
        self.states = 0
        self.results = set()
        self.ids = [JobID(i) for i in ids] if ids else []
        self.userid = _userid(user)
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 0:
            raise ValueError("max_entries must be an integer >= 0")
        self.max_entries = max_entries
        self.since = since
        self.name = name
        self.queue = queue
        self.errors = []
        for f in filters or []:
            self.add_filter(f)

    def add_filter(self, fname):
        for name in fname.split(","):
            name = name.strip().lower()
            if name in _STATE_FILTERS:
                self.states |= _STATE_FILTERS[name]
            elif name in _RESULT_FILTERS:
                self.results.add(_RESULT_FILTERS[name])
            else:
                raise ValueError("invalid filter %r" % name)

    def set_user(self, user):
        self.userid = _userid(user)

    def fetch_jobs(self):
        states = self.states
        if self.results:
            states |= lib.FLUX_JOB_STATE_INACTIVE
        if self.ids:
            return job_list(self.handle, 0, self.attrs, lib.FLUX_USERID_UNKNOWN, ALL_STATES,
                            ids={int(i) for i in self.ids})
        return job_list(self.handle, self.max_entries if not self.results else 0,
                        self.attrs, self.userid, states, since=self.since, name=self.name,
                        queue=self.queue)

    def get_jobs(self):
        jobs = self.fetch_jobs().get_jobs()
        if self.results:
            out = []
            for j in jobs:
                info = JobInfo(j)
                if info.state != "INACTIVE" or info.result in self.results:
                    if info.state == "INACTIVE" or self.states & STATE_BITS[info.state]:
                        out.append(j)
            jobs = out[:self.max_entries] if self.max_entries else out
        return jobs

    def jobs(self):
        return [JobInfo(j) for j in self.get_jobs()]
