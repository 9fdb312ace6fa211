"""Python bindings for fluxd: the flux package (flux.Flux, flux.job, flux.kvs),
built with cffi on libflux's public C API (include/flux/*.h)."""
from flux.handle import Flux, Message
from flux.future import Future, RPC
import flux.constants  # noqa: F401

__all__ = ["Flux", "Message", "Future", "RPC"]
