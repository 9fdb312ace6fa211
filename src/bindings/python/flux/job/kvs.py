"""The job's KVS directory (as Flux's flux.job.kvs): job_kvs(),
job_kvs_guest() and job_kvs_lookup()."""
import json

from flux._core import ffi, lib
from flux._error import oserror, _string
from flux.job.JobID import JobID
from flux.kvs import KVSDir


def _job_dir(jobid):
    buf = ffi.new("char[]", 128)
    if lib.flux_job_kvs_key(buf, 128, int(JobID(jobid)), ffi.NULL) < 0:
        raise oserror(prefix="job_kvs")
    return _string(buf)


def job_kvs(flux_handle, jobid):
    """A KVSDir of JOBID's directory (job.<dothex>: eventlog, jobspec, R...)."""
    return KVSDir(flux_handle, _job_dir(jobid))


def job_kvs_guest(flux_handle, jobid):
    """A KVSDir of JOBID's guest directory (output, the shell's eventlogs).
    fluxd keeps it under job.<dothex>.guest, where Flux has a namespace."""
    return KVSDir(flux_handle, _job_dir(jobid) + ".guest")


def job_kvs_lookup(flux_handle, jobid, keys=("jobspec",), decode=True, original=False,
                   base=False):
    """{"id": JOBID, KEY: value...} for each of KEYS ("jobspec", "R",
    "eventlog", ...); None if the job is unknown.  DECODE: JSON-decode
    values held as JSON text (jobspec, R)."""
    jobid = JobID(jobid)
    out = {"id": int(jobid)}
    for key in keys:
        f = lib.flux_job_lookup(flux_handle._h(), int(jobid), key.encode())
        if f == ffi.NULL:
            raise oserror(prefix=key)
        try:
            value = ffi.new("char **")
            if lib.flux_job_lookup_get(f, value) < 0:
                err = oserror(f)
                if err.errno == 2:
                    return None
                raise err
            v = json.loads(_string(value[0]))
            if decode and isinstance(v, str) and v[:1] in ("{", "["):
                try:
                    v = json.loads(v)
                except ValueError:
                    pass
            out[key] = v
        finally:
            lib.flux_future_destroy(f)
    return out
