/* echo.c - test module: answers "echo.hello" with the request payload and
 * "echo.rank" with the rank it runs on.  Written in C against the public
 * module ABI only. */
#include <errno.h>
#include <syslog.h>

#include <flux/core.h>
#include <flux/module.h>

static void hello_cb(flux_t *h, flux_msg_handler_t *mh, const flux_msg_t *msg, void *arg)
{
    const char *s = NULL;
    (void)mh;
    (void)arg;
    if (flux_msg_get_string(msg, &s) < 0 || flux_respond(h, msg, s) < 0)
        flux_log_error(h, "echo.hello: respond");
}

static void rank_cb(flux_t *h, flux_msg_handler_t *mh, const flux_msg_t *msg, void *arg)
{
    uint32_t rank;
    (void)mh;
    (void)arg;
    if (flux_get_rank(h, &rank) < 0) {
        flux_respond_error(h, msg, errno, NULL);
        return;
    }
    flux_respond_pack(h, msg, "{s:i}", "rank", (int)rank);
}

static const struct flux_msg_handler_spec htab[] = {
    {FLUX_MSGTYPE_REQUEST, "echo.hello", hello_cb, FLUX_ROLE_USER},
    {FLUX_MSGTYPE_REQUEST, "echo.rank", rank_cb, 0},
    FLUX_MSGHANDLER_TABLE_END,
};

static int echo_main(flux_t *h, int argc, char **argv)
{
    flux_msg_handler_t **handlers = NULL;
    for (int i = 0; i < argc; i++)
        flux_log(h, LOG_INFO, "echo: arg %s", argv[i]);
    if (flux_msg_handler_addvec(h, htab, NULL, &handlers) < 0)
        return -1;
    int rc = flux_reactor_run(flux_get_reactor(h), 0);
    flux_msg_handler_delvec(handlers);
    return rc;
}

static const struct flux_module_info info = {
    .api_version = FLUX_MODULE_API_VERSION,
    .name = "echo",
    .main = echo_main,
};

FLUX_API const struct flux_module_info *flux_module_init(void)
{
    return &info;
}
