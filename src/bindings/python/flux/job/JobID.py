"""JobID: an int that parses and prints every RFC 19 form."""
from flux._core import ffi, lib


def _encode(jobid, kind):
    buf = ffi.new("char[]", 128)
    if lib.flux_job_id_encode(jobid, kind.encode(), buf, 128) < 0:
        raise ValueError("cannot encode job id %d as %s" % (jobid, kind))
    return ffi.string(buf).decode("utf-8")


def id_parse(s):
    if isinstance(s, bytes):
        s = s.decode("utf-8")
    out = ffi.new("flux_jobid_t *")
    if lib.flux_job_id_parse(s.encode("utf-8"), out) < 0:
        raise ValueError("%r: invalid job id" % s)
    return int(out[0])


def id_encode(jobid, encoding="f58"):
    return _encode(int(jobid), encoding)


class JobID(int):
    """A job id: JobID(123), JobID("ƒ2VbZPF1N5"), JobID("0x..."),
    JobID("job.0000.0000.25c2.e156"), JobID("academy-...--...")."""

    def __new__(cls, value):
        if isinstance(value, JobID):
            return value
        if isinstance(value, int):
            if value < 0 or value > 0xFFFFFFFFFFFFFFFF:
                raise ValueError("job id %d out of range" % value)
            jobid = value
        elif isinstance(value, (str, bytes)):
            jobid = id_parse(value)
        else:
            raise TypeError("job id must be an int or str, not %s" % type(value).__name__)
        self = super().__new__(cls, jobid)
        self.orig_str = value if isinstance(value, str) else None
        return self

    def encode(self, encoding="dec"):
        return _encode(int(self), encoding)

    @property
    def dec(self):
        return str(int(self))

    @property
    def hex(self):
        return self.encode("hex")

    @property
    def dothex(self):
        return self.encode("dothex")

    @property
    def kvs(self):
        return self.encode("kvs")

    @property
    def f58(self):
        return self.encode("f58")

    @property
    def f58plain(self):
        return self.encode("f58plain")

    @property
    def words(self):
        return self.encode("words")

    @property
    def orig(self):
        return self.orig_str if self.orig_str is not None else self.f58

    def __str__(self):
        return self.f58

    def __repr__(self):
        return "JobID(%d)" % int(self)

    # int subclass: keep hash/eq of the int
    __hash__ = int.__hash__
