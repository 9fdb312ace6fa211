"""flux.idset, flux.hostlist, flux.util: the parsers Flux scripts import
(no instance needed)."""
import datetime
import errno
import math

import pytest

import flux.hostlist as hostlist
import flux.idset as idset
import flux.util


@pytest.mark.parametrize("text,flags,out", [
    ("", None, ""), ("0", None, "0"), ("0,1", None, "0-1"), ("0-3,5", None, "0-3,5"),
    ("0-10", idset.IDSET_FLAG_RANGE | idset.IDSET_FLAG_BRACKETS, "[0-10]"),
    ("0-3", idset.IDSET_FLAG_BRACKETS, "[0,1,2,3]"), ("0-3", 0, "0,1,2,3"),
    ("[3,1,2]", None, "1-3"),
])
def test_idset_encode(text, flags, out):
    ids = idset.decode(text)
    if flags is not None:
        ids.set_flags(flags)
    assert str(ids) == out


def test_idset_operations():
    ids = idset.IDSet("0-3,5")  # both spellings
    assert isinstance(ids, idset.IDset)
    assert len(ids) == ids.count() == 5 and list(ids) == [0, 1, 2, 3, 5]
    assert ids.first() == 0 and ids.last() == 5 and ids.next(3) == 5
    assert ids.next(5) == idset.IDSET_INVALID_ID
    assert ids.test(5) and not ids.test(4) and 2 in ids and 9 not in ids
    ids.set(7, 9).clear(1)
    ids[4] = True
    assert ids.encode() == "0,2-5,7-9" and ids.expand() == [0, 2, 3, 4, 5, 7, 8, 9]
    assert str(ids.union("10-11", [20])) == "0,2-5,7-11,20"
    assert str(ids.intersect("0-4", idset.decode("3-8"))) == "3-4"
    assert str(ids.difference("0-4")) == "5,7-9"
    assert str(ids & "2-3") == "2-3" and str(ids | "1") == "0-5,7-9"
    assert str(ids.copy().subtract("0-100")) == "" and str(ids) == "0,2-5,7-9"
    assert ids == idset.decode("0,2-5,7-9") and repr(ids) == "IDset('0,2-5,7-9')"
    assert idset.IDset().first() == idset.IDSET_INVALID_ID


@pytest.mark.parametrize("bad", ["x", "1-", "3-1", "1,,2", "-1", "1-x"])
def test_idset_bad_input(bad):
    with pytest.raises(ValueError):
        idset.decode(bad)


def test_idset_bad_ids():
    ids = idset.decode("0-9")
    with pytest.raises(ValueError):
        ids.set(-1)
    with pytest.raises(ValueError):
        ids.set(5, 1)
    with pytest.raises(TypeError):
        ids.set("a")
    with pytest.raises(TypeError):
        ids[0] = 7
    with pytest.raises(TypeError):
        ids == "0-9"
    with pytest.raises(TypeError):
        ids.add(42)


@pytest.mark.parametrize("text,out,count", [
    ("", "", 0), ("node1", "node1", 1), ("node1,node2", "node[1-2]", 2),
    ("node[1-4,7]", "node[1-4,7]", 5), ("foo0,bar1", "foo0,bar1", 2),
    ("node[01-10]", "node[01-10]", 10), ("node[9-11]", "node[9-11]", 3),
    ("rack[1-2]n[1-2]", "rack1n[1-2],rack2n[1-2]", 4), ("login", "login", 1),
])
def test_hostlist_encode(text, out, count):
    hl = hostlist.decode(text)
    assert str(hl) == out and hl.encode() == out
    assert len(hl) == hl.count() == count
    assert repr(hl) == "Hostlist('%s')" % out


def test_hostlist_operations():
    hl = hostlist.Hostlist("node[1-4,7]")
    assert hl.expand() == ["node1", "node2", "node3", "node4", "node7"]
    assert list(hl) == hl.expand()
    assert hl[0] == "node1" and hl[-1] == "node7" and str(hl[1:3]) == "node[2-3]"
    assert "node3" in hl and "node5" not in hl
    assert hl.find("node4") == 3
    with pytest.raises(OSError) as e:
        hl.find("node5")
    assert e.value.errno == errno.ENOENT
    with pytest.raises(IndexError):
        hl[5]
    with pytest.raises(TypeError):
        hl["a"]
    assert hl.append("node[2-3]") == 2 and str(hl) == "node[1-4,7,2-3]"
    assert str(hl.copy().uniq()) == "node[1-4,7]"
    assert hl.delete("node2,node7") == 3 and str(hl) == "node[1,3-4,3]"
    assert str(hl.sort()) == "node[1,3,3-4]"
    assert hl.append(["login1", "login2"]) == 2 and str(hl) == "node[1,3,3-4],login[1-2]"
    assert str(hostlist.decode("node[10,9,2]").sort()) == "node[2,9-10]"
    assert str(hostlist.decode({"b2", "b1"}).sort()) == "b[1-2]"


@pytest.mark.parametrize("bad", ["[]", "foo[]", "foo[", "foo[1,3", "foo[[1,3]", "foo]",
                                 "foo[x-y]", "foo[0-1,2--5]", "foo[3-1]"])
def test_hostlist_bad_input(bad):
    with pytest.raises(ValueError):
        hostlist.decode(bad)


def test_hostlist_bad_types():
    for bad in (42, 1.0, ["foo", 42], None):
        with pytest.raises(TypeError):
            hostlist.decode(bad)
    with pytest.raises(TypeError):
        hostlist.decode()


def test_util_fsd_and_datetime():
    assert flux.util.parse_fsd("30") == 30.0
    assert flux.util.parse_fsd("1.5m") == 90.0
    assert flux.util.parse_fsd("2h") == 7200.0 and flux.util.parse_fsd("1d") == 86400.0
    assert math.isinf(flux.util.parse_fsd("infinity"))
    for bad in ("x", "-1s", "1y", ""):
        with pytest.raises(ValueError):
            flux.util.parse_fsd(bad)
    with pytest.raises(TypeError):
        flux.util.parse_fsd(30)
    assert flux.util.fsd(90) == "1.5m" and flux.util.fsd(3.2) == "3.200s"
    now = datetime.datetime(2025, 1, 1, 12, 0).astimezone()
    assert flux.util.parse_datetime("now", now) == now
    assert flux.util.parse_datetime("+1h", now) == now + datetime.timedelta(hours=1)
    assert flux.util.parse_datetime("-30s", now) == now - datetime.timedelta(seconds=30)
    assert flux.util.parse_datetime("@0").timestamp() == 0
    dt = flux.util.parse_datetime("2025-01-31T10:00")
    assert (dt.year, dt.month, dt.day, dt.hour) == (2025, 1, 31, 10) and dt.tzinfo
    assert flux.util.parse_datetime("11:00", now) == now.replace(hour=11) + \
        datetime.timedelta(days=1)
    with pytest.raises(ValueError):
        flux.util.parse_datetime("someday")
