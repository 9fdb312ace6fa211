"""flux.Flux: rpc futures, events, attributes, reactor, errors."""
import errno
import os
import threading

import pytest

import flux
from flux.constants import FLUX_POLLIN, FLUX_NODEID_ANY, FLUX_RPC_STREAMING


def test_attr_get(h):
    assert h.attr_get("size") == "2"
    assert h.attr_get("rank") == "0"
    assert h.get_size() == 2


def test_attr_get_unknown_raises(h):
    with pytest.raises(OSError) as e:
        h.attr_get("no-such-attribute")
    assert e.value.errno == errno.ENOENT


def test_rpc_get(h):
    rsp = h.rpc("broker.ping", {"seq": 1, "pad": "x"}).get()
    assert rsp["seq"] == 1


def test_rpc_nodeid(h):
    rsp = h.rpc("broker.ping", {"seq": 7}, nodeid=1).get()
    assert rsp["seq"] == 7


def test_rpc_then(h):
    got = []

    def cb(f, tag):
        got.append((tag, f.get()["seq"]))

    for i in range(3):
        h.rpc("broker.ping", {"seq": i}).then(cb, "t")
    h.reactor_run()
    assert sorted(got) == [("t", 0), ("t", 1), ("t", 2)]


def test_rpc_unknown_topic_raises_oserror_with_errno(h):
    with pytest.raises(OSError) as e:
        h.rpc("no-such-service.method", {}).get()
    assert e.value.errno == errno.ENOSYS
    assert e.value.strerror


def test_rpc_error_message_from_flux(h):
    with pytest.raises(OSError) as e:
        h.rpc("job-manager.events-journal", {}).get()  # must be streaming
    assert e.value.errno == errno.EPROTO
    assert "streaming" in str(e.value)


def test_rpc_bad_payload_type(h):
    with pytest.raises(TypeError):
        h.rpc(42)


def test_callback_exception_reraised_by_reactor_run(h):
    def cb(f):
        raise ValueError("boom")

    h.rpc("broker.ping", {"seq": 1}).then(cb)
    with pytest.raises(ValueError, match="boom"):
        h.reactor_run()


def test_event_subscribe_recv(h, instance):
    h.event_subscribe("pytest.")
    h2 = flux.Flux(instance.uri)
    h2.event_send("pytest.hello", {"a": 1})
    msg = h.event_recv()
    assert msg.topic == "pytest.hello"
    assert msg.payload == {"a": 1}
    h.event_unsubscribe("pytest.")
    h2.close()


def test_timer_watcher(h):
    fired = []

    def cb(handle, w, revents, args):
        fired.append(args)
        if len(fired) == 3:
            w.stop()

    w = h.timer_watcher_create(0.01, cb, repeat=0.01, args="x").start()
    h.reactor_run()
    assert fired == ["x", "x", "x"]
    w.destroy()


def test_fd_watcher_and_reactor_stop(h):
    r, w = os.pipe()
    got = []

    def cb(handle, watcher, revents, args):
        assert revents & FLUX_POLLIN
        got.append(os.read(r, 10))
        handle.reactor_stop()

    watcher = h.fd_watcher_create(r, cb).start()
    threading.Timer(0.05, os.write, (w, b"hi")).start()
    h.reactor_run()
    assert got == [b"hi"]
    watcher.destroy()
    os.close(r)
    os.close(w)


def test_streaming_rpc(h):
    f = h.rpc("job-manager.events-journal", {"full": False}, FLUX_NODEID_ANY,
              FLUX_RPC_STREAMING)
    rsp = f.get()
    assert "id" in rsp
    f.destroy()


def test_open_bad_uri_raises():
    with pytest.raises(OSError) as e:
        flux.Flux("local:///nonexistent/socket")
    assert e.value.errno in (errno.ENOENT, errno.ECONNREFUSED)


def test_dead_instance_raises(fresh_instance):
    h = flux.Flux(fresh_instance.uri)
    assert h.rpc("broker.ping", {"seq": 1}).get()["seq"] == 1
    fresh_instance.stop()
    with pytest.raises(OSError):
        h.rpc("broker.ping", {"seq": 2}).get()
    with pytest.raises(OSError):
        flux.Flux(fresh_instance.uri)
