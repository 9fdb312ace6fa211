"""Constants of the C API, re-exported with their C names."""
from flux._core import lib as _lib

_NAMES = [n for n in dir(_lib) if n.startswith(("FLUX_",))]
for _n in _NAMES:
    globals()[_n] = getattr(_lib, _n)

# Watcher events (flux-core names).
FLUX_POLLIN = 1
FLUX_POLLOUT = 2
FLUX_POLLERR = 4

__all__ = _NAMES + ["FLUX_POLLIN", "FLUX_POLLOUT", "FLUX_POLLERR"]
