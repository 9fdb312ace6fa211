"""Jobspec (RFC 14) and JobspecV1 (RFC 25) builders, as flux-core's."""
import collections.abc
import json
import math
import numbers
import os
import shutil

_FSD = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_fsd(value):
    """Seconds from a number or an RFC 23 duration ("30s", "1.5m", "2h", "1d")."""
    if isinstance(value, bool):
        raise TypeError("duration must be a number or a string")
    if isinstance(value, numbers.Real):
        secs = float(value)
    elif isinstance(value, str):
        s = value.strip()
        try:
            if s and s[-1] in _FSD:
                secs = float(s[:-1]) * _FSD[s[-1]]
            else:
                secs = float(s)
        except ValueError:
            raise ValueError("invalid Flux standard duration %r" % value) from None
    else:
        raise TypeError("duration must be a number or a string")
    if math.isnan(secs) or math.isinf(secs) or secs < 0:
        raise ValueError("invalid duration %r" % value)
    return secs


def _positive_int(name, value, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError("%s must be an integer" % name)
    if value < 1:
        raise ValueError("%s must be >= 1" % name)
    return int(value)


def _gpu_count(name, value):
    if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Integral)
                              or value < 0):
        raise ValueError("%s must be an integer >= 0" % name)
    return value


def _flux_command():
    """The flux command a nested instance's brokers run: the one on PATH,
    by its full path (as flux batch names itself), so the job needs no PATH
    of its own to find it; plain "flux" when there is none."""
    return shutil.which("flux") or "flux"


def _check_command(command):
    if isinstance(command, (str, bytes)) or not isinstance(command, collections.abc.Sequence):
        raise TypeError("command must be a list of strings")
    if len(command) == 0:
        raise ValueError("command must not be empty")
    for arg in command:
        if not isinstance(arg, str):
            raise TypeError("command arguments must be strings")
    return list(command)


def _set_path(d, key, value):
    parts = key.split(".")
    if any(not p for p in parts):
        raise ValueError("invalid key %r" % key)
    for p in parts[:-1]:
        nxt = d.get(p)
        if not isinstance(nxt, dict):
            nxt = d[p] = {}
        d = nxt
    d[parts[-1]] = value


def _get_path(d, key):
    for p in key.split("."):
        if not isinstance(d, dict) or p not in d:
            raise KeyError(key)
        d = d[p]
    return d


class Jobspec:
    """A jobspec: resources, tasks, attributes (RFC 14)."""

    top_level_keys = {"resources", "tasks", "version", "attributes"}

    def __init__(self, resources, tasks, attributes=None, version=1):
        if not isinstance(resources, collections.abc.Sequence) or not resources:
            raise ValueError("resources must be a non-empty list")
        if not isinstance(tasks, collections.abc.Sequence) or not tasks:
            raise ValueError("tasks must be a non-empty list")
        if attributes is None:
            attributes = {}
        if not isinstance(attributes, dict):
            raise TypeError("attributes must be a mapping")
        self.jobspec = {
            "resources": list(resources),
            "tasks": list(tasks),
            "attributes": attributes,
            "version": version,
        }
        attributes.setdefault("system", {})

    @classmethod
    def from_yaml_stream(cls, stream):
        raise NotImplementedError("YAML jobspecs: submit the text, fluxd converts it")

    @classmethod
    def loads(cls, text):
        d = json.loads(text)
        if not isinstance(d, dict) or not cls.top_level_keys.issuperset(d) or "tasks" not in d:
            raise ValueError("not a jobspec object")
        return cls(d["resources"], d["tasks"], d.get("attributes"), d.get("version", 1))

    # -- accessors
    @property
    def resources(self):
        return self.jobspec["resources"]

    @property
    def tasks(self):
        return self.jobspec["tasks"]

    @property
    def attributes(self):
        return self.jobspec["attributes"]

    @property
    def version(self):
        return self.jobspec["version"]

    def dumps(self, **kwargs):
        return json.dumps(self.jobspec, **kwargs)

    def __str__(self):
        return self.dumps()

    # -- attributes
    @staticmethod
    def _attr_key(key):
        if not isinstance(key, str) or not key:
            raise ValueError("attribute key must be a non-empty string")
        if key.startswith("attributes."):
            key = key[len("attributes."):]
        if not key.startswith(("system.", "user.")) and key not in ("system", "user"):
            key = "system." + key
        return key

    def setattr(self, key, val):
        """Set attributes.KEY ("system." is implied unless KEY starts with
        "user." or "system.")."""
        _set_path(self.jobspec["attributes"], self._attr_key(key), val)

    def getattr(self, key):
        return _get_path(self.jobspec["attributes"], self._attr_key(key))

    def setattr_shell_option(self, key, val):
        self.setattr("system.shell.options." + key, val)

    def getattr_shell_option(self, key):
        return self.getattr("system.shell.options." + key)

    @property
    def duration(self):
        return self.attributes["system"].get("duration", 0)

    @duration.setter
    def duration(self, value):
        self.setattr("system.duration", parse_fsd(value))

    @property
    def cwd(self):
        return self.attributes["system"].get("cwd")

    @cwd.setter
    def cwd(self, value):
        if not isinstance(value, (str, os.PathLike)):
            raise TypeError("cwd must be a string")
        self.setattr("system.cwd", os.fspath(value))

    @property
    def environment(self):
        return self.attributes["system"].get("environment")

    @environment.setter
    def environment(self, value):
        if not isinstance(value, collections.abc.Mapping):
            raise TypeError("environment must be a mapping")
        for k, v in value.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise TypeError("environment keys and values must be strings")
        self.setattr("system.environment", dict(value))

    @property
    def queue(self):
        return self.attributes["system"].get("queue")

    @queue.setter
    def queue(self, value):
        if not isinstance(value, str):
            raise TypeError("queue must be a string")
        self.setattr("system.queue", value)

    def _iopath(self, stream):
        try:
            return self.getattr_shell_option("output.%s.path" % stream)
        except KeyError:
            return None

    def _set_iopath(self, stream, path):
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError("%s must be a path" % stream)
        self.setattr_shell_option("output.%s.type" % stream, "file")
        self.setattr_shell_option("output.%s.path" % stream, os.fspath(path))

    @property
    def stdout(self):
        return self._iopath("stdout")

    @stdout.setter
    def stdout(self, path):
        self._set_iopath("stdout", path)

    @property
    def stderr(self):
        return self._iopath("stderr")

    @stderr.setter
    def stderr(self, path):
        self._set_iopath("stderr", path)

    @property
    def stdin(self):
        try:
            return self.getattr_shell_option("input.stdin.path")
        except KeyError:
            return None

    @stdin.setter
    def stdin(self, path):
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError("stdin must be a path")
        self.setattr_shell_option("input.stdin.type", "file")
        self.setattr_shell_option("input.stdin.path", os.fspath(path))


class JobspecV1(Jobspec):
    """A version 1 jobspec (RFC 25)."""

    def __init__(self, resources, tasks, attributes=None, version=1):
        if version != 1:
            raise ValueError("JobspecV1 requires version 1")
        super().__init__(resources, tasks, attributes, version=1)
        self.attributes["system"].setdefault("duration", 0)

    @staticmethod
    def _slot(count, cores, gpus, label="task"):
        with_ = [{"type": "core", "count": cores}]
        if gpus:
            with_.append({"type": "gpu", "count": gpus})
        return {"type": "slot", "count": count, "label": label, "with": with_}

    @classmethod
    def _resources(cls, nslots, cores, gpus, num_nodes, exclusive, what="num_tasks"):
        if num_nodes is None:
            if exclusive:
                raise ValueError("exclusive requires num_nodes")
            return [cls._slot(nslots, cores, gpus)]
        if nslots < num_nodes:
            raise ValueError("%s must be >= num_nodes" % what)
        if nslots % num_nodes:
            raise ValueError("%s must be a multiple of num_nodes" % what)
        node = {"type": "node", "count": num_nodes,
                "with": [cls._slot(nslots // num_nodes, cores, gpus)]}
        if exclusive:
            node["exclusive"] = True
        return [node]

    @classmethod
    def from_command(cls, command, num_tasks=1, cores_per_task=1, gpus_per_task=None,
                     num_nodes=None, exclusive=False):
        """A jobspec running COMMAND (a list) as NUM_TASKS tasks."""
        command = _check_command(command)
        num_tasks = _positive_int("num_tasks", num_tasks)
        cores_per_task = _positive_int("cores_per_task", cores_per_task)
        gpus_per_task = _gpu_count("gpus_per_task", gpus_per_task)
        num_nodes = _positive_int("num_nodes", num_nodes, allow_none=True)
        resources = cls._resources(num_tasks, cores_per_task, gpus_per_task, num_nodes,
                                   exclusive)
        tasks = [{"command": command, "slot": "task", "count": {"per_slot": 1}}]
        return cls(resources, tasks, {"system": {"duration": 0}})

    @classmethod
    def _broker_jobspec(cls, command, num_slots, cores_per_slot, gpus_per_slot, num_nodes,
                        broker_opts, exclusive, conf):
        """The jobspec flux batch and flux alloc submit (doc/design/batch-jobspec.md):
        one broker per node.  With NUM_NODES, that many nodes, each one slot
        holding its share of the NUM_SLOTS * CORES_PER_SLOT cores (and GPUs),
        spread evenly; without, NUM_SLOTS slots wherever they fit and a
        broker on each node they land on (tasks per_resource node), as
        `flux batch -n` and Flux."""
        num_slots = _positive_int("num_slots", num_slots)
        cores_per_slot = _positive_int("cores_per_slot", cores_per_slot)
        gpus_per_slot = _gpu_count("gpus_per_slot", gpus_per_slot)
        num_nodes = _positive_int("num_nodes", num_nodes, allow_none=True)
        if num_nodes is None and exclusive:
            raise ValueError("exclusive requires num_nodes")
        if num_nodes is not None and num_slots < num_nodes:
            raise ValueError("num_slots must be >= num_nodes")
        if broker_opts is None:
            broker_opts = []
        if isinstance(broker_opts, str) or not all(isinstance(o, str) for o in broker_opts):
            raise TypeError("broker_opts must be a list of strings")
        broker_opts = list(broker_opts)
        if conf is not None:
            if not isinstance(conf, collections.abc.Mapping):
                raise TypeError("conf must be a mapping")
            conf_text = json.dumps(conf)
            broker_opts.append("-c{{tmpdir}}/conf.json")  # fluxd reads .json as Flux
        command = [_flux_command(), "broker"] + broker_opts + ["--"] + command
        if num_nodes is None:
            resources = [cls._slot(num_slots, cores_per_slot, gpus_per_slot)]
            count = {"per_resource": {"type": "node", "count": 1}}
        else:
            gpus = -(-num_slots * gpus_per_slot // num_nodes) if gpus_per_slot else None
            cores = -(-num_slots * cores_per_slot // num_nodes)
            node = {"type": "node", "count": num_nodes, "with": [cls._slot(1, cores, gpus)]}
            if exclusive:
                node["exclusive"] = True
            resources = [node]
            count = {"per_slot": 1}
        tasks = [{"command": command, "slot": "task", "count": count}]
        js = cls(resources, tasks, {"system": {"duration": 0}})
        # As Flux: an instance is not ended when one of its brokers exits.
        js.setattr_shell_option("exit-timeout", "none")
        if conf is not None:
            js.add_file("conf.json", conf_text)
        return js

    @classmethod
    def from_batch_command(cls, script, jobname, args=None, num_slots=1, cores_per_slot=1,
                           gpus_per_slot=None, num_nodes=None, broker_opts=None,
                           exclusive=False, conf=None):
        """A jobspec running SCRIPT (text starting with #!) in a new instance."""
        if not isinstance(script, str):
            raise TypeError("script must be a string")
        if not script.startswith("#!"):
            raise ValueError("script must start with #!")
        if args is None:
            args = []
        args = [a for a in args]
        if not all(isinstance(a, str) for a in args):
            raise TypeError("args must be strings")
        js = cls._broker_jobspec(["{{tmpdir}}/script"] + args, num_slots, cores_per_slot,
                                 gpus_per_slot, num_nodes, broker_opts, exclusive, conf)
        js.setattr("system.job.name", jobname)
        js.add_file("script", script, perms=0o700)
        js.setattr("system.batch.script", script)
        return js

    @classmethod
    def from_nest_command(cls, command, num_slots=1, cores_per_slot=1, gpus_per_slot=None,
                          num_nodes=None, broker_opts=None, exclusive=False, conf=None):
        """A jobspec running COMMAND as the initial program of a new instance."""
        command = _check_command(command)
        return cls._broker_jobspec(command, num_slots, cores_per_slot, gpus_per_slot,
                                   num_nodes, broker_opts, exclusive, conf)

    def add_file(self, path, data, perms=0o600, encoding=None):
        """Add a file to attributes.system.files (RFC 37 fileref) for the
        job shell to write into {{tmpdir}}: str DATA as text (encoding
        "utf-8", or "base64" when DATA is already base64), a mapping as its
        JSON text."""
        if not isinstance(path, str) or not path:
            raise ValueError("path must be a non-empty string")
        if isinstance(data, collections.abc.Mapping):
            data = json.dumps(dict(data))
        elif not isinstance(data, str):
            raise TypeError("file data must be a str or a mapping")
        if encoding is None:
            encoding = "utf-8"
        if encoding not in ("utf-8", "base64"):
            raise ValueError("encoding must be utf-8 or base64")
        entry = {"data": data, "encoding": encoding, "mode": 0o100000 | perms}
        if encoding == "utf-8":
            entry["size"] = len(data.encode("utf-8"))
        files = self.attributes["system"].setdefault("files", {})
        files[path] = entry


def _check_keys(where, keys, allowed, required=()):
    for k in required:
        if k not in keys:
            raise ValueError("%s: %s is required" % (where, k))
    extra = set(keys) - set(allowed)
    if extra:
        raise ValueError("%s: unknown key(s) %s" % (where, ", ".join(sorted(extra))))


def _check_resource(res):
    if not isinstance(res, collections.abc.Mapping):
        raise TypeError("resource must be a mapping")
    if not isinstance(res.get("type"), str):
        raise (ValueError if "type" not in res else TypeError)("resource type must be a string")
    if "count" not in res:
        raise ValueError("count is a required key for resources")
    count = res["count"]
    if isinstance(count, collections.abc.Mapping):
        if "min" not in count:
            raise ValueError("count must have min")
        for k in ("min", "max", "operand"):
            if k in count and (isinstance(count[k], bool) or not isinstance(count[k], int)
                               or count[k] < 1):
                raise ValueError("count %s must be an integer > 0" % k)
    elif isinstance(count, bool) or not isinstance(count, int):
        raise TypeError("count must be an int or mapping")
    elif count < (1 if res["type"] in ("node", "slot", "core") else 0):
        raise ValueError("%s count must be > 0" % res["type"])
    if res["type"] == "slot" and "label" not in res:
        raise ValueError("slots must have labels")
    if "exclusive" in res and res["exclusive"] not in (True, False):
        raise TypeError("exclusive must be a boolean")
    children = res.get("with", [])
    if not isinstance(children, collections.abc.Sequence) or isinstance(children, str):
        raise TypeError("with must be a list of resources")
    for child in children:
        _check_resource(child)


def _check_task(task):
    if not isinstance(task, collections.abc.Mapping):
        raise TypeError("task must be a mapping")
    _check_keys("task", task.keys(), set(task.keys()), ("command", "slot", "count"))
    command = task["command"]
    if (isinstance(command, str) or not isinstance(command, collections.abc.Sequence)
            or not all(isinstance(x, str) for x in command)):
        raise TypeError("command must be a list of strings")
    if not command:
        raise TypeError("command array cannot have length of zero")
    if not isinstance(task["slot"], str):
        raise TypeError("slot must be a string")
    count = task["count"]
    if not isinstance(count, collections.abc.Mapping):
        raise TypeError("count must be a mapping")
    for k in ("total", "per_slot"):
        if k in count and (isinstance(count[k], bool) or not isinstance(count[k], int)
                           or count[k] < 1):
            raise ValueError("count %s must be an integer > 0" % k)


def validate_jobspec(jobspec, require_version=None):
    """As Flux's flux.job.validate_jobspec: True if JOBSPEC (a Jobspec, a
    dict or JSON text) is a valid RFC 14 jobspec (RFC 25 if its version, or
    REQUIRE_VERSION, is 1); (1, "Unable to parse JSON") for JSON null;
    otherwise raises ValueError or TypeError naming the problem."""
    if isinstance(jobspec, Jobspec):
        obj = jobspec.jobspec
    elif isinstance(jobspec, (str, bytes)):
        obj = json.loads(jobspec)  # ValueError (json.JSONDecodeError) if not JSON
    elif isinstance(jobspec, collections.abc.Mapping):
        obj = jobspec
    else:
        raise TypeError("jobspec must be a Jobspec, a mapping or JSON text")
    if obj is None:
        return (1, "Unable to parse JSON")
    if not isinstance(obj, collections.abc.Mapping):
        raise TypeError("jobspec must be a JSON object")
    _check_keys("jobspec", obj.keys(), Jobspec.top_level_keys, ("resources", "tasks", "version"))
    version = obj["version"]
    if isinstance(version, bool) or not isinstance(version, int):
        raise TypeError("version must be an integer")
    if version < 1:
        raise ValueError("version must be >= 1")
    if require_version is not None and version != require_version:
        raise ValueError("jobspec version %d, version %d required" % (version, require_version))
    for key in ("resources", "tasks"):
        if isinstance(obj[key], str) or not isinstance(obj[key], collections.abc.Sequence):
            raise TypeError("%s must be a sequence" % key)
    for res in obj["resources"]:
        _check_resource(res)
    for task in obj["tasks"]:
        _check_task(task)
    attrs = obj.get("attributes")
    if attrs is not None:
        if not isinstance(attrs, collections.abc.Mapping):
            raise TypeError("attributes must be a mapping")
        _check_keys("attributes", attrs.keys(), ("system", "user"))
    if version == 1:
        if len(obj["tasks"]) != 1:
            raise ValueError("a version 1 jobspec has exactly one task")
        system = (attrs or {}).get("system", {})
        duration = system.get("duration", 0)
        if isinstance(duration, bool) or not isinstance(duration, numbers.Real) or duration < 0:
            raise ValueError("attributes.system.duration must be a number >= 0")
    return True
