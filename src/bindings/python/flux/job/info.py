"""JobInfo: one job's listing, with derived fields (result, returncode)."""
import os
import pwd
import signal

from flux.job.JobID import JobID

STATE_BITS = {"NEW": 1, "DEPEND": 2, "PRIORITY": 4, "SCHED": 8, "RUN": 16, "CLEANUP": 32,
              "INACTIVE": 64}
STATE_NAMES = {v: k for k, v in STATE_BITS.items()}
SINGLE = {"NEW": "N", "DEPEND": "D", "PRIORITY": "P", "SCHED": "S", "RUN": "R",
          "CLEANUP": "C", "INACTIVE": "I"}


def statetostr(state, fmt="L"):
    name = STATE_NAMES.get(state, state) if isinstance(state, int) else state
    return SINGLE.get(name, name) if fmt == "S" else name


class JobInfo:
    """Attribute access to a job's listing: id (JobID), state ("RUN"...),
    result ("COMPLETED", "FAILED", "CANCELED", "TIMEOUT"), returncode, ..."""

    def __init__(self, info):
        self._info = dict(info)
        self._info["id"] = JobID(self._info["id"])

    def __getattr__(self, name):
        try:
            return self._info[name]
        except KeyError:
            raise AttributeError(name) from None

    def to_dict(self, filtered=True):
        d = dict(self._info)
        d["id"] = int(d["id"])
        for k in ("state", "result", "returncode", "runtime"):
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
        if self.state != "INACTIVE":
            return ""
        exc = self._info.get("exception")
        if exc and exc.get("severity", 0) == 0:
            if exc.get("type") == "cancel":
                return "CANCELED"
            if exc.get("type") == "timeout":
                return "TIMEOUT"
            return "FAILED"
        return "COMPLETED" if self._info.get("success") else "FAILED"

    @property
    def returncode(self):
        """Exit code; -signal if the job was killed by a signal; "" if none."""
        if self.state != "INACTIVE":
            return ""
        ws = self._info.get("waitstatus")
        if ws is None or (ws == 0 and not self._info.get("t_run")):
            exc = self._info.get("exception")
            return -1 if exc else ""
        if os.WIFSIGNALED(ws):
            return -os.WTERMSIG(ws)
        return os.WEXITSTATUS(ws)

    @property
    def status(self):
        s = self.state
        if s == "INACTIVE":
            return self.result
        if s in ("DEPEND", "PRIORITY", "SCHED", "NEW"):
            return "PENDING"
        return "RUNNING"

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
