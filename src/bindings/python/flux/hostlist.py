"""flux.hostlist: ordered lists of host names in RFC 29 form
("node[1-4,7],login0"), as Flux's flux.hostlist (Hostlist, decode).
Pure Python: fluxd's hostlist is C++ internal, not in the exported C API."""
import errno
import numbers
import re

_TAIL = re.compile(r"^(.*?)(\d+)$")


def _expand_one(item, whole):
    """Hosts of one comma-free element ("pre[1-3,5]post", possibly nested ranges)."""
    open_ = item.find("[")
    if open_ < 0:
        if "]" in item:
            raise ValueError("invalid hostlist %r: ']' without '['" % whole)
        return [item]
    close = item.find("]", open_)
    if close < 0 or "[" in item[open_ + 1:close]:
        raise ValueError("invalid hostlist %r: unbalanced brackets" % whole)
    prefix, body, rest = item[:open_], item[open_ + 1:close], item[close + 1:]
    if "]" in prefix:
        raise ValueError("invalid hostlist %r: ']' without '['" % whole)
    if not body:
        raise ValueError("invalid hostlist %r: empty brackets" % whole)
    tails = _expand_one(rest, whole) if rest else [""]
    hosts = []
    for part in body.split(","):
        lo, sep, hi = part.partition("-")
        if not lo.isdigit() or (sep and not hi.isdigit()):
            raise ValueError("invalid hostlist %r: bad range %r" % (whole, part))
        a, b = int(lo), int(hi if sep else lo)
        if b < a:
            raise ValueError("invalid hostlist %r: range %r runs backwards" % (whole, part))
        width = len(lo) if lo.startswith("0") and len(lo) > 1 else 0
        for n in range(a, b + 1):
            for t in tails:
                hosts.append("%s%0*d%s" % (prefix, width, n, t))
    return hosts


def _split_top(s):
    """Split S on the commas outside brackets."""
    out, depth, cur = [], 0, ""
    for c in s:
        if c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
            if depth < 0:
                raise ValueError("invalid hostlist %r: ']' without '['" % s)
        if c == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += c
    if depth != 0:
        raise ValueError("invalid hostlist %r: unbalanced brackets" % s)
    out.append(cur)
    return out


def _parse(s):
    s = s.strip()
    if not s:
        return []
    hosts = []
    for item in _split_top(s):
        item = item.strip()
        if not item:
            continue
        hosts.extend(_expand_one(item, s))
    return hosts


def _hosts_of(arg):
    if isinstance(arg, Hostlist):
        return list(arg._hosts)
    if isinstance(arg, str):
        return _parse(arg)
    if isinstance(arg, numbers.Number) or arg is None:
        raise TypeError("expected a Hostlist, a hostlist string or an iterable of host names")
    out = []
    for h in arg:
        if not isinstance(h, str):
            raise TypeError("host names must be strings, not %s" % type(h).__name__)
        out.extend(_parse(h))
    return out


def _split_host(h):
    """(prefix, number or None, digits): "node07" -> ("node", 7, "07")."""
    m = _TAIL.match(h)
    if not m:
        return h, None, ""
    return m.group(1), int(m.group(2)), m.group(2)


def _width(digits):
    return len(digits) if digits.startswith("0") and len(digits) > 1 else 0


def _encode(hosts):
    """Adjacent hosts of one prefix (and zero padding) share brackets, in order."""
    groups = []  # [prefix, width, [numbers]] or [host, None, None]
    for h in hosts:
        prefix, num, digits = _split_host(h)
        if num is None:
            groups.append([h, None, None])
            continue
        w = _width(digits)
        g = groups[-1] if groups else None
        # node10 continues node[08-09]: as wide as the padding, no zero needed
        if (g and g[2] is not None and g[0] == prefix
                and (g[1] == w or (g[1] and len(digits) == g[1]))):
            g[2].append(num)
        else:
            groups.append([prefix, w, [num]])
    out = []
    for prefix, w, nums in groups:
        if nums is None:
            out.append(prefix)
            continue
        if len(nums) == 1:
            out.append("%s%0*d" % (prefix, w, nums[0]))
            continue
        ranges, i = [], 0
        while i < len(nums):
            j = i
            while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
                j += 1
            ranges.append("%0*d" % (w, nums[i]) if i == j
                          else "%0*d-%0*d" % (w, nums[i], w, nums[j]))
            i = j + 1
        out.append("%s[%s]" % (prefix, ",".join(ranges)))
    return ",".join(out)


def _sort_key(h):
    prefix, num, digits = _split_host(h)
    return (prefix, -1 if num is None else num, len(digits))


class Hostlist:
    """An ordered list of host names (duplicates allowed)."""

    def __init__(self, arg=""):
        self._hosts = _hosts_of(arg)

    def encode(self):
        return _encode(self._hosts)

    def __str__(self):
        return self.encode()

    def __repr__(self):
        return "Hostlist('%s')" % self.encode()

    def count(self):
        return len(self._hosts)

    def __len__(self):
        return len(self._hosts)

    def __iter__(self):
        return iter(list(self._hosts))

    def __contains__(self, host):
        return host in self._hosts

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Hostlist(self._hosts[index])
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise TypeError("Hostlist index must be an integer or a slice")
        return self._hosts[index]  # IndexError past the end

    def __eq__(self, other):
        if isinstance(other, Hostlist):
            return self._hosts == other._hosts
        return NotImplemented

    def expand(self):
        """The host names, in order."""
        return list(self._hosts)

    def append(self, arg):
        """Append the hosts of ARG (Hostlist, hostlist string or names);
        returns how many were added."""
        new = _hosts_of(arg)
        self._hosts.extend(new)
        return len(new)

    def delete(self, arg):
        """Delete every occurrence of the hosts of ARG; returns how many went."""
        gone = set(_hosts_of(arg))
        before = len(self._hosts)
        self._hosts = [h for h in self._hosts if h not in gone]
        return before - len(self._hosts)

    def find(self, host):
        """The index of HOST's first occurrence; OSError(ENOENT) if absent."""
        try:
            return self._hosts.index(host)
        except ValueError:
            raise OSError(errno.ENOENT, "%s is not in the hostlist" % host) from None

    def index(self, host):
        return self.find(host)

    def sort(self):
        """Sort by prefix, then number (node2 before node10); returns self."""
        self._hosts.sort(key=_sort_key)
        return self

    def uniq(self):
        """Sort and drop duplicates; returns self."""
        self._hosts = sorted(set(self._hosts), key=_sort_key)
        return self

    def copy(self):
        return Hostlist(self)


def decode(arg):
    """A Hostlist from a hostlist string or an iterable of host names;
    ValueError if malformed, TypeError for other types."""
    return Hostlist(arg)
