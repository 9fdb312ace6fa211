"""flux.idset: sets of non-negative integer ids in RFC 22 form ("0-3,5"),
as Flux's flux.idset (IDset, decode).  Pure Python: fluxd's idset is C++
internal, not part of the exported C API."""
import numbers

IDSET_FLAG_BRACKETS = 2
IDSET_FLAG_RANGE = 4
IDSET_INVALID_ID = 2**32 - 1


def _check_id(i):
    if isinstance(i, bool) or not isinstance(i, numbers.Integral):
        raise TypeError("id must be an integer, not %s" % type(i).__name__)
    if i < 0 or i >= IDSET_INVALID_ID:
        raise ValueError("id %d is out of range (0 to %d)" % (i, IDSET_INVALID_ID - 1))
    return int(i)


def _parse(s):
    ids = set()
    s = s.strip()
    if s.startswith("[") and s.endswith("]"):
        s = s[1:-1]
    if not s:
        return ids
    for part in s.split(","):
        lo, sep, hi = part.strip().partition("-")
        try:
            if not lo.isdigit() or (sep and not hi.isdigit()):
                raise ValueError
            a, b = int(lo), int(hi) if sep else int(lo)
        except ValueError:
            raise ValueError("invalid idset %r: bad element %r" % (s, part)) from None
        if b < a:
            raise ValueError("invalid idset %r: range %r runs backwards" % (s, part))
        if b >= IDSET_INVALID_ID:
            raise ValueError("invalid idset %r: id out of range" % s)
        ids.update(range(a, b + 1))
    return ids


def _ids_of(arg):
    """The ids of ARG: an IDset, an idset string, or an iterable of ints."""
    if isinstance(arg, IDset):
        return set(arg._ids)
    if isinstance(arg, str):
        return _parse(arg)
    if isinstance(arg, numbers.Integral) or arg is None:
        raise TypeError("expected an IDset, an idset string or an iterable of ids")
    return {_check_id(i) for i in arg}


class IDset:
    """A set of ids.  str() encodes it with its flags (default
    IDSET_FLAG_RANGE: "0-3,5")."""

    def __init__(self, arg=None, flags=IDSET_FLAG_RANGE):
        self._ids = set() if arg is None else _ids_of(arg)
        self._flags = flags

    def set_flags(self, flags):
        self._flags = flags

    def encode(self, flags=None):
        flags = self._flags if flags is None else flags
        ids = sorted(self._ids)
        parts = []
        i = 0
        while i < len(ids):
            j = i
            if flags & IDSET_FLAG_RANGE:
                while j + 1 < len(ids) and ids[j + 1] == ids[j] + 1:
                    j += 1
            parts.append(str(ids[i]) if i == j else "%d-%d" % (ids[i], ids[j]))
            i = j + 1
        s = ",".join(parts)
        if flags & IDSET_FLAG_BRACKETS and len(ids) > 1:
            s = "[" + s + "]"
        return s

    def __str__(self):
        return self.encode()

    def __repr__(self):
        return "IDset('%s')" % self.encode(IDSET_FLAG_RANGE)

    def count(self):
        return len(self._ids)

    def __len__(self):
        return len(self._ids)

    def __iter__(self):
        return iter(sorted(self._ids))

    def __contains__(self, i):
        return _check_id(i) in self._ids

    def __getitem__(self, i):
        return self.test(i)

    def __setitem__(self, i, value):
        if not isinstance(value, (bool, int)) or value not in (0, 1):
            raise TypeError("an id is set with True/False or 1/0")
        if value:
            self.set(i)
        else:
            self.clear(i)

    def __eq__(self, other):
        if not isinstance(other, IDset):
            raise TypeError("an IDset compares only with an IDset")
        return self._ids == other._ids

    def __hash__(self):
        return hash(frozenset(self._ids))

    def equal(self, other):
        return self == other

    def _range(self, start, end):
        start = _check_id(start)
        end = start if end is None else _check_id(end)
        if end < start:
            raise ValueError("end %d is before start %d" % (end, start))
        return range(start, end + 1)

    def set(self, start, end=None):
        """Set START, or START through END; returns self."""
        self._ids.update(self._range(start, end))
        return self

    def clear(self, start, end=None):
        """Clear START, or START through END; returns self."""
        self._ids.difference_update(self._range(start, end))
        return self

    def test(self, i):
        return _check_id(i) in self._ids

    def first(self):
        return min(self._ids) if self._ids else IDSET_INVALID_ID

    def last(self):
        return max(self._ids) if self._ids else IDSET_INVALID_ID

    def next(self, i):
        i = _check_id(i)
        later = [x for x in self._ids if x > i]
        return min(later) if later else IDSET_INVALID_ID

    def expand(self):
        return sorted(self._ids)

    def copy(self):
        return IDset(self, flags=self._flags)

    def add(self, arg):
        """Add the ids of ARG (IDset, idset string or ids) to this set; returns self."""
        self._ids |= _ids_of(arg)
        return self

    def subtract(self, arg):
        """Remove the ids of ARG from this set; returns self."""
        self._ids -= _ids_of(arg)
        return self

    def union(self, *args):
        """A new IDset: this set and every ARG."""
        out = self.copy()
        for a in args:
            out.add(a)
        return out

    def intersect(self, *args):
        """A new IDset: the ids in this set and in every ARG."""
        out = self.copy()
        for a in args:
            out._ids &= _ids_of(a)
        return out

    intersection = intersect

    def difference(self, *args):
        """A new IDset: the ids in this set and in no ARG."""
        out = self.copy()
        for a in args:
            out.subtract(a)
        return out

    def __or__(self, other):
        return self.union(other)

    def __and__(self, other):
        return self.intersect(other)

    def __sub__(self, other):
        return self.difference(other)


IDSet = IDset  # the spelling of some scripts


def decode(s):
    """The IDset of idset string S ("0-3,5", "[0-3]"); ValueError if malformed."""
    if not isinstance(s, str):
        raise TypeError("decode() takes an idset string")
    return IDset(s)
