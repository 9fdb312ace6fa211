"""Turning a failed C call into an OSError with errno and Flux's message."""
import errno as _errno
import os

from flux._core import ffi, lib


def _string(p):
    return ffi.string(p).decode("utf-8", "replace") if p != ffi.NULL else None


def oserror(fut=None, errnum=None, prefix=None):
    """An OSError for the last failed call (errno), with the future's error
    text when FUT (a flux_future_t *) carries one.  OSError's constructor
    picks the subclass from errno (FileNotFoundError for ENOENT, ...)."""
    e = ffi.errno if errnum is None else errnum
    if e == 0:
        e = _errno.EIO
    msg = None
    if fut is not None and fut != ffi.NULL:
        ffi.errno = e
        msg = _string(lib.flux_future_error_string(fut))
    if not msg:
        msg = os.strerror(e)
    if prefix:
        msg = "%s: %s" % (prefix, msg)
    return OSError(e, msg)


def check(rc, fut=None, prefix=None):
    """Raise oserror() when RC is negative (int) or NULL (pointer)."""
    if (isinstance(rc, int) and rc < 0) or (not isinstance(rc, int) and rc == ffi.NULL):
        raise oserror(fut, prefix=prefix)
    return rc


def encode(s):
    """str/bytes -> bytes for a const char * argument (None -> NULL)."""
    if s is None:
        return ffi.NULL
    if isinstance(s, bytes):
        return s
    if isinstance(s, str):
        return s.encode("utf-8")
    raise TypeError("expected str or bytes, got %s" % type(s).__name__)
