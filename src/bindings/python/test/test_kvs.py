"""flux.kvs: get, put, commit, watch."""
import errno

import pytest

import flux
import flux.kvs


def test_put_commit_get(h):
    flux.kvs.put(h, "pytest.a", {"x": [1, 2]})
    flux.kvs.put(h, "pytest.b", "text")
    version = flux.kvs.commit(h)
    assert version > 0
    assert flux.kvs.get(h, "pytest.a") == {"x": [1, 2]}
    assert flux.kvs.get(h, "pytest.b") == "text"
    assert flux.kvs.exists(h, "pytest.a")
    assert flux.kvs.isdir(h, "pytest")
    assert set(flux.kvs.get_dir(h, "pytest")) >= {"a", "b"}


def test_get_missing_raises(h):
    with pytest.raises(FileNotFoundError) as e:
        flux.kvs.get(h, "pytest.no.such.key")
    assert e.value.errno == errno.ENOENT
    assert not flux.kvs.exists(h, "pytest.no.such.key")


def test_bad_input(h):
    with pytest.raises(ValueError):
        flux.kvs.get(h, "")
    with pytest.raises(TypeError):
        flux.kvs.put(h, "pytest.c", object())


def test_unlink(h):
    flux.kvs.put(h, "pytest.gone", 1)
    flux.kvs.commit(h)
    flux.kvs.put_unlink(h, "pytest.gone")
    flux.kvs.commit(h)
    assert not flux.kvs.exists(h, "pytest.gone")


def test_watch(h, instance):
    flux.kvs.put(h, "pytest.w", 0)
    flux.kvs.commit(h)
    writer = flux.Flux(instance.uri)
    seen = []
    for v in flux.kvs.watch(h, "pytest.w"):
        seen.append(v)
        if v == 3:
            break
        flux.kvs.put(writer, "pytest.w", v + 1)
        flux.kvs.commit(writer)
    assert seen == [0, 1, 2, 3]
    writer.close()


def test_watch_async_then(h):
    flux.kvs.put(h, "pytest.w2", "a")
    flux.kvs.commit(h)
    got = []

    def cb(f):
        v = f.get()
        if v is None:
            return
        got.append(v)
        f.cancel()

    flux.kvs.kvs_watch_async(h, "pytest.w2").then(cb)
    h.reactor_run()
    assert got == ["a"]


def test_kvsdir(h):
    """KVSDir as Flux's: dotted keys, nested dicts as directories, staged
    until commit() or the end of a with block."""
    with flux.kvs.KVSDir(h) as kd:
        kd["kvsdir.a.b"] = 1
        kd.mkdir("kvsdir.d", {"x": "y", "sub": {"z": [1, 2]}})
        kd["kvsdir.e"] = {"k": "v"}
    kd = flux.kvs.KVSDir(h, "kvsdir")
    assert kd["a.b"] == 1 and kd["a"]["b"] == 1
    assert isinstance(kd["d"], flux.kvs.KVSDir) and kd["d"]["sub"]["z"] == [1, 2]
    assert kd["d.x"] == "y" and kd["e.k"] == "v"
    assert sorted(kd) == ["a", "d", "e"] and len(kd) == 3
    assert kd.directories() == ["a", "d", "e"] and kd["d"].files() == ["x"]
    assert "a.b" in kd and "nope" not in kd
    with pytest.raises(KeyError):
        kd["nope"]
    kd["new"] = "value"
    assert "new" not in kd  # staged, not yet committed
    kd.commit()
    assert kd["new"] == "value"
    del kd["new"]
    kd.commit()
    assert not kd.exists("new")
    walked = list(flux.kvs.walk("kvsdir.d", flux_handle=h))
    assert walked == [("kvsdir.d.sub", [], ["z"]), ("kvsdir.d", ["sub"], ["x"])]
    with pytest.raises(ValueError):
        flux.kvs.KVSDir()
