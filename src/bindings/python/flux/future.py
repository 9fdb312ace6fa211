"""Futures over flux_future_t: get (blocking), then (reactor continuation),
wait_for, reset for streams."""
import json

from flux._core import ffi, lib
from flux._error import oserror, _string


@ffi.def_extern()
def _flux_continuation(c_future, arg):
    fut = ffi.from_handle(arg)
    fut._run_continuation()


class Future:
    """One flux_future_t.  HANDLE (a flux.Flux) is kept alive as long as the
    future is.  Call then() to run a callback from the handle's reactor."""

    def __init__(self, handle, pimpl, prefix=None):
        if pimpl == ffi.NULL:
            raise oserror(prefix=prefix)
        self.flux_handle = handle
        self.pimpl = pimpl
        self._then = None
        self._self_handle = None

    # -- lifetime
    def _handle_open(self):
        # After flux_close() a future must not be touched (its flux_t is gone).
        return self.flux_handle.handle is not None

    def destroy(self):
        if self.pimpl is not None:
            if self._handle_open():
                lib.flux_future_destroy(self.pimpl)
            self.pimpl = None
        if self._self_handle is not None:
            self.flux_handle._keep.discard(self)
            self._self_handle = None

    def __del__(self):
        try:
            if self.pimpl is not None and self._handle_open():
                lib.flux_future_destroy(self.pimpl)
            self.pimpl = None
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.destroy()

    def _check(self):
        if self.pimpl is None:
            raise ValueError("future has been destroyed")

    # -- state
    def is_ready(self):
        self._check()
        return bool(lib.flux_future_is_ready(self.pimpl))

    def wait_for(self, timeout=-1.0):
        """Block until the future is fulfilled; TimeoutError after TIMEOUT s."""
        self._check()
        if lib.flux_future_wait_for(self.pimpl, float(timeout)) < 0:
            raise oserror()
        return self

    def reset(self):
        """Streams: drop the current response, so get() waits for the next."""
        self._check()
        lib.flux_future_reset(self.pimpl)

    def error_string(self):
        self._check()
        return _string(lib.flux_future_error_string(self.pimpl))

    # -- continuation
    def then(self, callback, *args, timeout=-1.0, **kwargs):
        """Call CALLBACK(future, *args, **kwargs) from the reactor each time a
        response is ready.  Returns self."""
        self._check()
        if not callable(callback):
            raise TypeError("callback must be callable")
        self._then = (callback, args, kwargs)
        if self._self_handle is None:
            self._self_handle = ffi.new_handle(self)
            self.flux_handle._keep.add(self)
        if lib.flux_future_then(self.pimpl, float(timeout), lib._flux_continuation,
                                self._self_handle) < 0:
            raise oserror()
        return self

    def _final(self):
        """True once no more responses can come (one-shot, or a stream that
        ended with an error)."""
        return True

    def _run_continuation(self):
        cb, args, kwargs = self._then
        try:
            cb(self, *args, **kwargs)
        except BaseException as exc:  # noqa: B902 - re-raised by reactor_run
            self.flux_handle._callback_error(exc)
        finally:
            if self.pimpl is not None and self._final() and self._self_handle is not None:
                self.flux_handle._keep.discard(self)
                self._self_handle = None


class RPC(Future):
    """A request's future: get() returns the decoded JSON payload (or None)."""

    def __init__(self, handle, pimpl, streaming=False, prefix=None):
        super().__init__(handle, pimpl, prefix=prefix)
        self.streaming = streaming

    def get_str(self):
        self._check()
        s = ffi.new("char **")
        if lib.flux_rpc_get(self.pimpl, s) < 0:
            raise oserror(self.pimpl)
        return _string(s[0])

    def get(self):
        s = self.get_str()
        return json.loads(s) if s else None

    def _final(self):
        if not self.streaming:
            return True
        # A stream ends with an error response (ENODATA after a cancel).
        if self.pimpl is None:
            return True
        if not lib.flux_future_is_ready(self.pimpl):
            return False
        return lib.flux_rpc_get(self.pimpl, ffi.NULL) < 0
