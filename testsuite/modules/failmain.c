/* failmain.c - test module whose main() logs an error and returns -1
 * before entering its reactor; the load must fail with that error. */
#include <syslog.h>

#include <flux/core.h>
#include <flux/module.h>

static int fail_main(flux_t *h, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    flux_log(h, LOG_ERR, "failmain: refusing to start");
    return -1;
}

static const struct flux_module_info info = {
    .api_version = FLUX_MODULE_API_VERSION,
    .name = "failmain",
    .main = fail_main,
};

FLUX_API const struct flux_module_info *flux_module_init(void)
{
    return &info;
}
