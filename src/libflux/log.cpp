/* log.cpp - flux_log(): append to the broker's log ring (log.append). */
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/time.h>
#include <syslog.h>
#include <unistd.h>

#include "handle_internal.h"
#include "flux/module.h"

extern "C" {

void flux_log_set_appname(flux_t *h, const char *name)
{
    if (h && name)
        h->appname = name;
}

int flux_vlog(flux_t *h, int level, const char *fmt, va_list ap)
{
    if (!fmt) {
        errno = EINVAL;
        return -1;
    }
    int saved = errno;
    char buf[4096];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    if (!h) {
        fprintf(stderr, "%s\n", buf);
        errno = saved;
        return 0;
    }
    struct timeval tv;
    gettimeofday(&tv, nullptr);
    flux_future_t *f = flux_rpc_pack(h, "log.append", FLUX_NODEID_ANY, FLUX_RPC_NORESPONSE,
                                     "{s:i s:s s:s s:f s:i}", "level", level & LOG_PRIMASK,
                                     "appname", h->appname.c_str(), "message", buf, "timestamp",
                                     tv.tv_sec + tv.tv_usec * 1e-6, "pid", (int)getpid());
    if (!f) {
        fprintf(stderr, "%s: %s\n", h->appname.c_str(), buf);
        errno = saved;
        return -1;
    }
    flux_future_destroy(f);
    errno = saved;
    return 0;
}

int flux_log(flux_t *h, int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = flux_vlog(h, level, fmt, ap);
    va_end(ap);
    return rc;
}

void flux_log_error(flux_t *h, const char *fmt, ...)
{
    int saved = errno;
    char buf[3500];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    flux_log(h, LOG_ERR, "%s: %s", buf, strerror(saved));
    errno = saved;
}

int flux_module_set_running(flux_t *h)
{
    if (!h) {
        errno = EINVAL;
        return -1;
    }
    flux_future_t *f = flux_rpc_pack(h, "module.status", FLUX_NODEID_ANY, FLUX_RPC_NORESPONSE,
                                     "{s:s}", "status", "running");
    if (!f)
        return -1;
    flux_future_destroy(f);
    return 0;
}

} // extern "C"
