"""flux.kvs: get, put, commit, watch the key-value store (flux/kvs.h).

put()/put_mkdir()/put_unlink() stage operations in a transaction kept on
the handle; commit() applies them atomically."""
import collections.abc
import errno
import json

from flux._core import ffi, lib
from flux._error import encode, oserror, _string
from flux.future import Future


def _ns(namespace):
    return encode(namespace) if namespace is not None else ffi.NULL


def _check_key(key):
    if not isinstance(key, str) or not key:
        raise ValueError("key must be a non-empty string")
    return key.encode()


class KVSLookupFuture(Future):
    def get_str(self):
        self._check()
        s = ffi.new("char **")
        if lib.flux_kvs_lookup_get(self.pimpl, s) < 0:
            raise oserror(self.pimpl)
        return _string(s[0])

    def get(self):
        s = self.get_str()
        return json.loads(s) if s is not None else None


def get(flux_handle, key, namespace=None):
    """The value of KEY (decoded JSON); FileNotFoundError if none."""
    f = lib.flux_kvs_lookup(flux_handle._h(), _ns(namespace), 0, _check_key(key))
    with KVSLookupFuture(flux_handle, f, prefix=key) as fut:
        return fut.get()


def exists(flux_handle, key, namespace=None):
    try:
        get(flux_handle, key, namespace)
        return True
    except OSError as e:
        if e.errno in (errno.ENOENT, errno.EISDIR):
            return e.errno == errno.EISDIR
        raise


def get_dir(flux_handle, key=".", namespace=None):
    """{name: "dir"|"val"} for directory KEY."""
    f = lib.flux_kvs_dir(flux_handle._h(), _ns(namespace), _check_key(key))
    with Future(flux_handle, f, prefix=key) as fut:
        s = ffi.new("char **")
        if lib.flux_kvs_dir_get(fut.pimpl, s) < 0:
            raise oserror(fut.pimpl)
        return json.loads(_string(s[0]))


def isdir(flux_handle, key, namespace=None):
    try:
        get_dir(flux_handle, key, namespace)
        return True
    except OSError as e:
        if e.errno in (errno.ENOENT, errno.ENOTDIR):
            return False
        raise


class _Txn:
    def __init__(self):
        self.pimpl = lib.flux_kvs_txn_create()
        if self.pimpl == ffi.NULL:
            raise MemoryError()
        self.ops = 0

    def __del__(self):
        if getattr(self, "pimpl", None) is not None:
            lib.flux_kvs_txn_destroy(self.pimpl)
            self.pimpl = None


def _txn(flux_handle):
    t = getattr(flux_handle, "_kvs_txn", None)
    if t is None:
        t = flux_handle._kvs_txn = _Txn()
    return t


def put(flux_handle, key, value, append=False):
    """Stage KEY = VALUE (anything json.dumps takes) for the next commit()."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError) as e:
        raise TypeError("value is not JSON-serializable: %s" % e) from None
    t = _txn(flux_handle)
    flags = lib.FLUX_KVS_APPEND if append else 0
    if lib.flux_kvs_txn_put(t.pimpl, flags, _check_key(key), text.encode()) < 0:
        raise oserror(prefix=key)
    t.ops += 1


def put_mkdir(flux_handle, key):
    t = _txn(flux_handle)
    if lib.flux_kvs_txn_put(t.pimpl, 0, _check_key(key), b"{}") < 0:
        raise oserror(prefix=key)
    t.ops += 1


def put_unlink(flux_handle, key):
    t = _txn(flux_handle)
    if lib.flux_kvs_txn_unlink(t.pimpl, 0, _check_key(key)) < 0:
        raise oserror(prefix=key)
    t.ops += 1


def commit_async(flux_handle, flags=0, namespace=None):
    t = getattr(flux_handle, "_kvs_txn", None) or _Txn()
    flux_handle._kvs_txn = None
    f = lib.flux_kvs_commit(flux_handle._h(), _ns(namespace), flags, t.pimpl)
    fut = Future(flux_handle, f, prefix="commit")
    fut._txn = t  # the transaction lives as long as its commit
    return fut


def commit(flux_handle, flags=0, namespace=None):
    """Commit the staged operations; returns the new root version."""
    with commit_async(flux_handle, flags, namespace) as fut:
        v = ffi.new("uint64_t *")
        if lib.flux_kvs_commit_get_version(fut.pimpl, v) < 0:
            raise oserror(fut.pimpl)
        return int(v[0])


def dropcache(flux_handle):
    """Accepted for flux-core compatibility (no client cache here)."""


class KVSWatchFuture(KVSLookupFuture):
    """A KVS watch: get() returns the current value and arms the next."""

    def __init__(self, handle, pimpl, key):
        super().__init__(handle, pimpl, prefix=key)
        self.cancelled = False

    def get(self, autoreset=True):
        self._check()
        s = ffi.new("char **")
        if lib.flux_kvs_lookup_get(self.pimpl, s) < 0:
            if ffi.errno == errno.ENODATA:
                return None
            raise oserror(self.pimpl)
        v = json.loads(_string(s[0]))
        if autoreset:
            self.reset()
        return v

    def cancel(self):
        if not self.cancelled:
            self.cancelled = True
            if lib.flux_kvs_lookup_cancel(self.pimpl) < 0:
                raise oserror()

    def _final(self):
        if self.pimpl is None or not lib.flux_future_is_ready(self.pimpl):
            return False
        return lib.flux_rpc_get(self.pimpl, ffi.NULL) < 0


def kvs_watch_async(flux_handle, key, namespace=None, waitcreate=False, full=False):
    """Stream KEY's value now and at each change (KVSWatchFuture)."""
    flags = lib.FLUX_KVS_WATCH
    if waitcreate:
        flags |= lib.FLUX_KVS_WAITCREATE
    f = lib.flux_kvs_lookup(flux_handle._h(), _ns(namespace), flags, _check_key(key))
    return KVSWatchFuture(flux_handle, f, key)


def watch(flux_handle, key, namespace=None, waitcreate=False):
    """Yield KEY's value now and after each change (until the caller stops)."""
    fut = kvs_watch_async(flux_handle, key, namespace, waitcreate)
    try:
        while True:
            v = fut.get()
            if v is None and fut.cancelled:
                return
            yield v
    finally:
        try:
            fut.cancel()
        except OSError:
            pass
        fut.destroy()


class KVSDir(collections.abc.MutableMapping):
    """A KVS directory as a dict (as Flux's flux.kvs.KVSDir): kd["a.b"]
    reads a value (a KVSDir for a directory, KeyError if none), kd[k] = v
    and del kd[k] stage a put or an unlink that commit() applies (so does
    leaving a `with KVSDir(h) as kd:` block); iteration gives the names in
    the directory."""

    def __init__(self, flux_handle=None, path=".", namespace=None):
        if flux_handle is None:
            raise ValueError("KVSDir needs a flux handle")
        self.fhdl = flux_handle
        self.path = path.rstrip(".") if path not in (".", "") else "."
        self.namespace = namespace

    def key_at(self, key):
        if not isinstance(key, str) or not key:
            raise KeyError(key)
        return key if self.path == "." else self.path + "." + key

    def __getitem__(self, key):
        full = self.key_at(key)
        try:
            return get(self.fhdl, full, self.namespace)
        except OSError as e:
            if e.errno == errno.EISDIR:
                return KVSDir(self.fhdl, full, self.namespace)
            if e.errno == errno.ENOENT:
                raise KeyError(key) from None
            raise

    def __setitem__(self, key, value):
        if isinstance(value, dict):
            self.mkdir(key, value)
        else:
            put(self.fhdl, self.key_at(key), value)

    def __delitem__(self, key):
        put_unlink(self.fhdl, self.key_at(key))

    def __contains__(self, key):
        try:
            self[key]
            return True
        except KeyError:
            return False

    def exists(self, key):
        return key in self

    def _entries(self):
        try:
            return get_dir(self.fhdl, self.path, self.namespace)
        except OSError as e:
            if e.errno == errno.ENOENT:
                return {}
            raise

    def __iter__(self):
        return iter(sorted(self._entries()))

    def __len__(self):
        return len(self._entries())

    def __repr__(self):
        return "KVSDir(%r)" % self.path

    def files(self):
        return sorted(k for k, t in self._entries().items() if t != "dir")

    def directories(self):
        return sorted(k for k, t in self._entries().items() if t == "dir")

    def list_all(self, topdown=False):
        """(files, directories) of this directory."""
        return self.files(), self.directories()

    def mkdir(self, key, contents=None):
        """Stage directory KEY, filled from the dict CONTENTS if given."""
        put_mkdir(self.fhdl, self.key_at(key))
        if contents:
            KVSDir(self.fhdl, self.key_at(key), self.namespace).fill(contents)

    def fill(self, contents):
        """Stage every key of the dict CONTENTS (nested dicts: directories)."""
        for k, v in contents.items():
            self[k] = v

    def commit(self, flags=0):
        """Apply the staged puts and unlinks; returns the new root version."""
        return commit(self.fhdl, flags, self.namespace)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.commit()
        return False


def walk(directory, topdown=False, flux_handle=None, namespace=None):
    """Yield (path, directories, files) under DIRECTORY (a KVSDir or a key),
    as os.walk."""
    if not isinstance(directory, KVSDir):
        if flux_handle is None:
            raise ValueError("walk() of a key needs flux_handle")
        directory = KVSDir(flux_handle, directory, namespace)
    dirs, files = directory.directories(), directory.files()
    if topdown:
        yield directory.path, dirs, files
    for d in dirs:
        yield from walk(KVSDir(directory.fhdl, directory.key_at(d), directory.namespace),
                        topdown)
    if not topdown:
        yield directory.path, dirs, files
