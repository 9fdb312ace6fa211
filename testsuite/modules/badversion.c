/* badversion.c - test module declaring an ABI major version the broker
 * does not speak; loading it must fail with a clear message. */
#include <flux/module.h>

static int bad_main(flux_t *h, int argc, char **argv)
{
    (void)h;
    (void)argc;
    (void)argv;
    return 0;
}

static const struct flux_module_info info = {
    .api_version = (2u << 16) | 0u,
    .name = "badversion",
    .main = bad_main,
};

FLUX_API const struct flux_module_info *flux_module_init(void)
{
    return &info;
}
