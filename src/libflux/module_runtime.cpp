/* module_runtime.cpp - run a broker module's main() on its own handle. */
#include <cerrno>
#include <syslog.h>

#include "flux/module.h"
#include "handle_internal.h"
#include "module_runtime.h"

namespace flux {

namespace {

void shutdown_cb(flux_t *h, flux_msg_handler_t *, const flux_msg_t *, void *)
{
    flux_reactor_stop(flux_get_reactor(h));
}

void ping_cb(flux_t *h, flux_msg_handler_t *, const flux_msg_t *msg, void *)
{
    const char *s = nullptr;
    if (flux_msg_get_string(msg, &s) < 0 || !s)
        s = "{}";
    flux_respond(h, msg, s);
}

} // namespace

int module_run(const char *name,
               int (*main_fn)(flux_t *, int, char **),
               int fd,
               std::vector<std::string> &args)
{
    flux_error_t error;
    flux_t *h = flux_open_fd(fd, 0, &error);
    if (!h)
        return -1;
    /* The module runs its reactor (or blocks in flux_recv(), which flushes
     * first): what it sends in one pass goes out in one write. */
    h->stream->defer_writes(true);
    flux_log_set_appname(h, name);
    std::string ping_topic = std::string(name) + ".ping";
    struct flux_match m_shut = {FLUX_MSGTYPE_REQUEST, FLUX_MATCHTAG_NONE, "module.shutdown"};
    struct flux_match m_ping = {FLUX_MSGTYPE_REQUEST, FLUX_MATCHTAG_NONE, ping_topic.c_str()};
    flux_msg_handler_t *mh_shut = flux_msg_handler_create(h, m_shut, shutdown_cb, nullptr);
    flux_msg_handler_t *mh_ping = flux_msg_handler_create(h, m_ping, ping_cb, nullptr);
    flux_msg_handler_allow_rolemask(mh_ping, FLUX_ROLE_USER);
    flux_msg_handler_start(mh_shut);
    flux_msg_handler_start(mh_ping);
    h->reactor->run_hook = [h]() { flux_module_set_running(h); };

    std::vector<char *> argv;
    for (auto &a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    int rc = main_fn(h, (int)args.size(), argv.data());
    /* The handler objects belong to h and go with it. */
    flux_close(h);
    return rc;
}

} // namespace flux
