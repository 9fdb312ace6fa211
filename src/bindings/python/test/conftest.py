"""Fixtures: real fluxd instances started with `flux start`."""
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PYDIR = os.path.dirname(HERE)
TOP = os.environ.get("FLUX_BUILD_DIR") or os.path.abspath(os.path.join(PYDIR, "..", "..", ".."))
sys.path.insert(0, PYDIR)
os.environ["PATH"] = os.path.join(TOP, "src", "cmd") + os.pathsep + os.environ["PATH"]
os.environ["PYTHONPATH"] = PYDIR + os.pathsep + os.environ.get("PYTHONPATH", "")


class Instance:
    """`flux start --test-size=SIZE` running `sh` until stop()."""

    def __init__(self, size=1, tmpdir=None):
        cmd = ["flux", "start", "--test-size=%d" % size, "sh", "-c",
               'echo "$FLUX_URI"; read x']
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     cwd=tmpdir, text=True)
        self.uri = self.proc.stdout.readline().strip()
        if not self.uri:
            self.stop()
            raise RuntimeError("flux start failed")

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="session")
def instance(tmp_path_factory):
    inst = Instance(size=2, tmpdir=str(tmp_path_factory.mktemp("instance")))
    old = os.environ.get("FLUX_URI")
    os.environ["FLUX_URI"] = inst.uri
    yield inst
    inst.stop()
    if old is None:
        os.environ.pop("FLUX_URI", None)
    else:
        os.environ["FLUX_URI"] = old


@pytest.fixture
def h(instance):
    import flux
    handle = flux.Flux(instance.uri)
    yield handle
    handle.close()


@pytest.fixture
def fresh_instance(tmp_path):
    inst = Instance(size=1, tmpdir=str(tmp_path))
    yield inst
    inst.stop()


def quick(js):
    """Exec test mode: the job "runs" without a process."""
    js.setattr("system.exec.test.run_duration", "0s")
    return js
