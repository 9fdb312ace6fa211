"""JobInfo: one job's listing, with derived fields (result, returncode)."""
import pwd
import signal
import time

from flux.job.JobID import JobID

STATE_BITS = {"NEW": 1, "DEPEND": 2, "PRIORITY": 4, "SCHED": 8, "RUN": 16, "CLEANUP": 32,
              "INACTIVE": 64}
STATE_NAMES = {v: k for k, v in STATE_BITS.items()}
SINGLE = {"NEW": "N", "DEPEND": "D", "PRIORITY": "P", "SCHED": "S", "RUN": "R",
          "CLEANUP": "C", "INACTIVE": "I"}
RESULT_ABBREV = {"COMPLETED": "CD", "FAILED": "F", "CANCELED": "CA", "TIMEOUT": "TO"}


def statetostr(state, fmt="L"):
    name = STATE_NAMES.get(state, state) if isinstance(state, int) else state
    return SINGLE.get(name, name) if fmt == "S" else name


class JobInfo:
    """Attribute access to a job's listing: id (JobID), state ("RUN"...),
    result ("COMPLETED", "FAILED", "CANCELED", "TIMEOUT"), status and
    status_abbrev (the state while active, the result after), returncode,
    t_remaining, ...: the words `flux jobs` prints for the same fields."""

    def __init__(self, info):
        self._info = dict(info)
        self._info["id"] = JobID(self._info["id"])

    # As Flux's JobInfo: these read "" when the job has none.
    defaults = {"cwd": "", "project": "", "bank": "", "queue": ""}

    def __getattr__(self, name):
        try:
            return self._info[name]
        except KeyError:
            if name in JobInfo.defaults:
                return JobInfo.defaults[name]
            raise AttributeError(name) from None

    def to_dict(self, filtered=True):
        d = dict(self._info)
        d["id"] = int(d["id"])
        for k in ("state", "result", "returncode", "runtime", "status", "status_abbrev",
                  "result_abbrev", "t_remaining"):
            try:
                d[k] = getattr(self, k)
            except AttributeError:
                pass
        return d

    @property
    def id(self):
        return self._info["id"]

    @property
    def state(self):
        return statetostr(self._info.get("state", "NEW"))

    @property
    def state_single(self):
        return statetostr(self._info.get("state", "NEW"), "S")

    @property
    def username(self):
        try:
            return pwd.getpwuid(self._info["userid"]).pw_name
        except (KeyError, TypeError):
            return str(self._info.get("userid"))

    @property
    def runtime(self):
        t0 = self._info.get("t_run", 0.0)
        t1 = self._info.get("t_cleanup", 0.0) or self._info.get("t_inactive", 0.0)
        return max(t1 - t0, 0.0) if t0 and t1 else 0.0

    @property
    def result(self):
        """COMPLETED, FAILED, CANCELED or TIMEOUT once inactive, else ""
        (the words and the order of `flux jobs -o {result}`)."""
        if self.state != "INACTIVE":
            return ""
        exc = self._info.get("exception") or {}
        if self._info.get("success"):
            return "COMPLETED"
        if exc.get("type") == "cancel":
            return "CANCELED"
        if exc.get("type") == "timeout":
            return "TIMEOUT"
        return "FAILED"

    @property
    def result_abbrev(self):
        """The result in at most 2 letters (CD, F, CA, TO), "" while active."""
        return RESULT_ABBREV.get(self.result, "")

    @property
    def returncode(self):
        """As Flux and `flux jobs -o {returncode}`: the exit code; -signal if
        the job was killed by a signal; -128 if it was canceled before it
        ran; 1 if an exception ended it without a wait status; "" while
        active."""
        if self.state != "INACTIVE":
            return ""
        ws = self._info.get("waitstatus")
        if not isinstance(ws, int) or isinstance(ws, bool):
            ws = -1  # job-list's "none" (the job never ran a shell)
        exc = self._info.get("exception")
        if not self._info.get("t_run") and exc and exc.get("type") == "cancel":
            return -128
        if ws >= 0 and (ws & 0x7f) == 0:
            return ws >> 8
        if ws > 0:
            return -(ws & 0x7f)
        return 1 if exc else ""

    @property
    def status(self):
        """The state while active (DEPEND, PRIORITY, SCHED, RUN, CLEANUP),
        the result once inactive, as Flux and `flux jobs -o {status}`."""
        s = self.state
        return self.result if s == "INACTIVE" else s

    @property
    def status_abbrev(self):
        """status in at most 2 letters (S, R, CD, CA...), as `{status_abbrev}`."""
        return self.result_abbrev if self.state == "INACTIVE" else self.state_single

    @property
    def t_remaining(self):
        """Seconds left before the job's expiration while it runs, else 0.0
        (as Flux)."""
        exp = self._info.get("expiration") or 0.0
        if self.state != "RUN" or not exp:
            return 0.0
        return max(exp - time.time(), 0.0)

    @property
    def success(self):
        return bool(self._info.get("success", False))

    def __repr__(self):
        return "JobInfo(%s)" % self.to_dict()

    @staticmethod
    def signal_name(num):
        try:
            return signal.Signals(num).name
        except ValueError:
            return str(num)
