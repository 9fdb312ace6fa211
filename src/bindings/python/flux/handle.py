"""flux.Flux: a connection to an instance (flux_t), with RPC, events,
attributes and a reactor with timer and fd watchers."""
import json
import threading

from flux._core import ffi, lib
from flux._error import check, encode, oserror, _string
from flux.constants import FLUX_POLLIN, FLUX_POLLOUT
from flux.future import RPC

_NODEIDS = {"any": lib.FLUX_NODEID_ANY, "upstream": lib.FLUX_NODEID_UPSTREAM}


def _payload(payload):
    if payload is None:
        return ffi.NULL
    if isinstance(payload, (bytes, str)):
        return encode(payload)
    return json.dumps(payload).encode()


class Message:
    """A received message (events from event_recv())."""

    def __init__(self, pimpl):
        self.pimpl = pimpl
        topic = ffi.new("char **")
        self.topic = _string(topic[0]) if lib.flux_msg_get_topic(pimpl, topic) == 0 else None
        s = ffi.new("char **")
        self.payload_str = _string(s[0]) if lib.flux_msg_get_string(pimpl, s) == 0 else None

    @property
    def payload(self):
        return json.loads(self.payload_str) if self.payload_str else None

    def __del__(self):
        if getattr(self, "pimpl", None) is not None:
            lib.flux_msg_decref(self.pimpl)
            self.pimpl = None


@ffi.def_extern()
def _flux_event_cb(fd, what, arg):
    w = ffi.from_handle(arg)
    w._fire(what)


class Watcher:
    """A libevent event on the handle's reactor base."""

    def __init__(self, handle, fd, evflags, callback, args):
        if not callable(callback):
            raise TypeError("callback must be callable")
        self.flux_handle = handle
        self.callback = callback
        self.args = args
        self._self = ffi.new_handle(self)
        base = lib.flux_reactor_get_event_base(lib.flux_get_reactor(handle.handle))
        self._ev = lib.event_new(base, fd, evflags, lib._flux_event_cb, self._self)
        if self._ev == ffi.NULL:
            raise MemoryError("event_new failed")
        self.active = False

    def _tv(self, secs):
        tv = ffi.new("struct timeval *")
        tv.tv_sec = int(secs)
        tv.tv_usec = int((secs - int(secs)) * 1e6)
        return tv

    def stop(self):
        if self._ev is not None and self.active and self.flux_handle.handle is not None:
            lib.event_del(self._ev)
            self.active = False
            self.flux_handle._keep.discard(self)
        return self

    def destroy(self):
        if self._ev is not None and self.flux_handle.handle is not None:
            self.stop()
            lib.event_free(self._ev)
        self._ev = None

    def __del__(self):
        try:
            if self._ev is not None and self.flux_handle.handle is not None:
                lib.event_free(self._ev)
            self._ev = None
        except Exception:
            pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.destroy()

    def _call(self, revents):
        try:
            self.callback(self.flux_handle, self, revents, self.args)
        except BaseException as exc:  # noqa: B902 - re-raised by reactor_run
            self.flux_handle._callback_error(exc)


class TimerWatcher(Watcher):
    """Calls callback(handle, watcher, revents, args) AFTER seconds from
    start(), then every REPEAT seconds if REPEAT > 0."""

    def __init__(self, handle, after, callback, repeat=0.0, args=None):
        if after < 0 or repeat < 0:
            raise ValueError("after and repeat must be >= 0")
        super().__init__(handle, -1, 0, callback, args)
        self.after = float(after)
        self.repeat = float(repeat)

    def start(self):
        lib.event_add(self._ev, self._tv(self.after))
        self.active = True
        self.flux_handle._keep.add(self)
        return self

    def _fire(self, what):
        if self.repeat > 0:
            lib.event_add(self._ev, self._tv(self.repeat))
        else:
            self.active = False
            self.flux_handle._keep.discard(self)
        self._call(0)


class FDWatcher(Watcher):
    """Calls callback(handle, watcher, revents, args) while FD is readable
    (FLUX_POLLIN) or writable (FLUX_POLLOUT)."""

    def __init__(self, handle, fd, events, callback, args=None):
        if hasattr(fd, "fileno"):
            fd = fd.fileno()
        if not isinstance(fd, int) or fd < 0:
            raise ValueError("invalid file descriptor")
        ev = lib.EV_PERSIST
        if events & FLUX_POLLIN:
            ev |= lib.EV_READ
        if events & FLUX_POLLOUT:
            ev |= lib.EV_WRITE
        super().__init__(handle, fd, ev, callback, args)
        self.fd = fd

    def start(self):
        lib.event_add(self._ev, ffi.NULL)
        self.active = True
        self.flux_handle._keep.add(self)
        return self

    def _fire(self, what):
        revents = 0
        if what & lib.EV_READ:
            revents |= FLUX_POLLIN
        if what & lib.EV_WRITE:
            revents |= FLUX_POLLOUT
        self._call(revents)


class Flux:
    """A handle on a Flux instance: Flux() connects to $FLUX_URI, Flux(url)
    to URL (local:///path or ssh://host/path).  One thread at a time may use
    a handle; open one per thread."""

    def __init__(self, url=None, flags=0, handle=None):
        self.handle = None
        self._keep = set()  # futures/watchers with callbacks pending
        self._exc = None
        if handle is not None:
            raise ValueError("wrapping a raw flux_t is not supported")
        err = ffi.new("flux_error_t *")
        h = lib.flux_open_ex(encode(url), int(flags), err)
        if h == ffi.NULL:
            e = ffi.errno
            text = _string(err.text) or ""
            raise oserror(errnum=e, prefix=None) if not text else OSError(e, text)
        self.handle = h
        self._thread = threading.get_ident()

    def close(self):
        if self.handle is not None:
            for obj in list(self._keep):
                try:
                    obj.destroy()
                except Exception:
                    pass
            self._keep.clear()
            lib.flux_close(self.handle)
            self.handle = None

    def __del__(self):
        try:
            if self.handle is not None and not self._keep:
                lib.flux_close(self.handle)
                self.handle = None
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _h(self):
        if self.handle is None:
            raise ValueError("handle is closed")
        return self.handle

    # -- RPC
    def rpc(self, topic, payload=None, nodeid=lib.FLUX_NODEID_ANY, flags=0):
        """Send a request; returns an RPC future (get(), then())."""
        if isinstance(nodeid, str):
            try:
                nodeid = _NODEIDS[nodeid]
            except KeyError:
                raise ValueError("nodeid must be an int, 'any' or 'upstream'") from None
        f = lib.flux_rpc(self._h(), encode(topic), _payload(payload), nodeid, flags)
        return RPC(self, f, streaming=bool(flags & lib.FLUX_RPC_STREAMING),
                   prefix=topic if isinstance(topic, str) else None)

    # -- events
    def event_subscribe(self, topic):
        check(lib.flux_event_subscribe(self._h(), encode(topic)))

    def event_unsubscribe(self, topic):
        check(lib.flux_event_unsubscribe(self._h(), encode(topic)))

    def event_recv(self, topic=None):
        """Block for the next event (whose topic matches the glob TOPIC)."""
        m = ffi.new("struct flux_match *")
        m.typemask = lib.FLUX_MSGTYPE_EVENT
        m.matchtag = lib.FLUX_MATCHTAG_NONE
        glob = encode(topic) if topic else ffi.NULL
        m.topic_glob = glob
        msg = lib.flux_recv(self._h(), m[0], 0)
        if msg == ffi.NULL:
            raise oserror()
        return Message(msg)

    def event_send(self, topic, payload=None):
        """Publish an event; returns its sequence number."""
        f = RPC(self, lib.flux_event_publish(self._h(), encode(topic), 0, _payload(payload)))
        seq = ffi.new("int *")
        check(lib.flux_event_publish_get_seq(f.pimpl, seq), f.pimpl)
        return seq[0]

    # -- attributes
    def attr_get(self, name):
        v = lib.flux_attr_get(self._h(), encode(name))
        if v == ffi.NULL:
            raise oserror(prefix=name)
        return _string(v)

    def attr_set(self, name, value):
        check(lib.flux_attr_set(self._h(), encode(name), encode(str(value))), prefix=name)

    def get_rank(self):
        r = ffi.new("uint32_t *")
        check(lib.flux_get_rank(self._h(), r))
        return r[0]

    def get_size(self):
        r = ffi.new("uint32_t *")
        check(lib.flux_get_size(self._h(), r))
        return r[0]

    # -- reactor
    def get_reactor(self):
        return lib.flux_get_reactor(self._h())

    def _callback_error(self, exc):
        if self._exc is None:
            self._exc = exc
        lib.flux_reactor_stop_error(lib.flux_get_reactor(self._h()))

    def reactor_run(self, reactor=None, flags=0):
        """Run the reactor until reactor_stop() or until nothing is left to
        wait for.  An exception raised by a callback stops it and is raised
        here."""
        r = lib.flux_get_reactor(self._h())
        rc = lib.flux_reactor_run(r, flags)
        if self._exc is not None:
            exc, self._exc = self._exc, None
            raise exc
        if rc < 0:
            raise oserror(prefix="reactor_run")
        return rc

    def reactor_stop(self, reactor=None):
        lib.flux_reactor_stop(lib.flux_get_reactor(self._h()))

    def reactor_stop_error(self, reactor=None):
        lib.flux_reactor_stop_error(lib.flux_get_reactor(self._h()))

    def reactor_now(self):
        return lib.flux_reactor_now(lib.flux_get_reactor(self._h()))

    def timer_watcher_create(self, after, callback, repeat=0.0, args=None):
        return TimerWatcher(self, after, callback, repeat=repeat, args=args)

    def fd_watcher_create(self, fd, callback, events=FLUX_POLLIN, args=None):
        return FDWatcher(self, fd, events, callback, args=args)
