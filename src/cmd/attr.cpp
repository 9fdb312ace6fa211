/* attr.cpp - flux getattr / setattr / lsattr. */
#include <cerrno>
#include <cstring>

#include "cmd.h"

namespace fluxcmd {

int cmd_getattr(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
            printf("Usage: flux getattr NAME\n");
            return 0;
        }
        die(1, "Usage: flux getattr NAME");
    }
    flux_t *h = open_or_die("flux-getattr");
    flux_future_t *f = flux_rpc_pack(h, "attr.get", FLUX_NODEID_ANY, 0, "{s:s}", "name", argv[1]);
    const char *value;
    if (!f || flux_rpc_get_unpack(f, "{s:s}", "value", &value) < 0)
        die(1, "flux-getattr: %s", f ? flux_future_error_string(f) : strerror(errno));
    printf("%s\n", value);
    flux_future_destroy(f);
    flux_close(h);
    return 0;
}

int cmd_setattr(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        printf("Usage: flux setattr NAME VALUE\n");
        return 0;
    }
    if (argc != 3)
        die(1, "Usage: flux setattr NAME VALUE");
    flux_t *h = open_or_die("flux-setattr");
    flux_future_t *f = flux_rpc_pack(h, "attr.set", FLUX_NODEID_ANY, 0, "{s:s s:s}", "name",
                                     argv[1], "value", argv[2]);
    if (!f || flux_rpc_get(f, nullptr) < 0)
        die(1, "flux-setattr: %s", f ? flux_future_error_string(f) : strerror(errno));
    flux_future_destroy(f);
    flux_close(h);
    return 0;
}

int cmd_lsattr(int argc, char **argv)
{
    bool values = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--values"))
            values = true;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("Usage: flux lsattr [-v]\n");
            return 0;
        }
        else
            die(1, "flux-lsattr: unknown option '%s'\nUsage: flux lsattr [-v]", argv[i]);
    }
    flux_t *h = open_or_die("flux-lsattr");
    flux_future_t *f = flux_rpc(h, "attr.list", nullptr, FLUX_NODEID_ANY, 0);
    json_t *names;
    if (!f || flux_rpc_get_unpack(f, "{s:o}", "names", &names) < 0)
        die(1, "flux-lsattr: %s", f ? flux_future_error_string(f) : strerror(errno));
    size_t i;
    json_t *v;
    json_array_foreach(names, i, v)
    {
        const char *name = json_string_value(v);
        if (!values) {
            printf("%s\n", name);
            continue;
        }
        const char *value = flux_attr_get(h, name);
        printf("%-28s %s\n", name, value ? value : "-");
    }
    flux_future_destroy(f);
    flux_close(h);
    return 0;
}

} // namespace fluxcmd
