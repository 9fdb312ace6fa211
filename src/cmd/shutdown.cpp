/* shutdown.cpp - flux shutdown: ask rank 0 to stop the instance. */
#include <cerrno>
#include <cstring>

#include "cmd.h"

namespace fluxcmd {

int cmd_shutdown(int argc, char **argv)
{
    if (argc > 1) {
        if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
            printf("Usage: flux shutdown\n");
            return 0;
        }
        die(1, "Usage: flux shutdown");
    }
    flux_t *h = open_or_die("flux-shutdown");
    flux_future_t *f = flux_rpc(h, "broker.shutdown", nullptr, 0, 0);
    if (!f || flux_rpc_get(f, nullptr) < 0)
        die(1, "flux-shutdown: %s", f ? flux_future_error_string(f) : strerror(errno));
    flux_future_destroy(f);
    flux_close(h);
    return 0;
}

} // namespace fluxcmd
