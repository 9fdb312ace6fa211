/* jobtap.cpp - flux jobtap load|remove|list|query: the job manager's jobtap
 * plugins (flux-jobtap(1)), through the job-manager.jobtap RPC. */
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include <string>

#include "cmd.h"

namespace fluxcmd {

namespace {

const char *jobtap_usage = "Usage: flux jobtap load PATH [KEY=VALUE...]\n"
                           "       flux jobtap remove NAME|all\n"
                           "       flux jobtap list\n"
                           "       flux jobtap query NAME";

/* KEY=VALUE: VALUE as JSON if it parses (1, true, "x", {...}), else a string. */
json_t *conf_from_args(int argc, char **argv)
{
    json_t *conf = json_object();
    for (int i = 0; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        if (!eq || eq == argv[i])
            die(1, "flux-jobtap: load: expected KEY=VALUE, got '%s'", argv[i]);
        std::string key(argv[i], eq - argv[i]);
        json_error_t jerr;
        json_t *v = json_loads(eq + 1, JSON_DECODE_ANY, &jerr);
        if (!v)
            v = json_string(eq + 1);
        json_object_set_new(conf, key.c_str(), v);
    }
    return conf;
}

json_t *jobtap_rpc(flux_t *h, json_t *payload /* stolen */, const char *what)
{
    char *text = json_dumps(payload, JSON_COMPACT);
    json_decref(payload);
    flux_future_t *f = flux_rpc(h, "job-manager.jobtap", text, FLUX_NODEID_ANY, 0);
    free(text);
    const char *rsp = nullptr;
    if (!f || flux_rpc_get(f, &rsp) < 0)
        die(1, "flux-jobtap: %s: %s", what, f ? flux_future_error_string(f) : strerror(errno));
    json_error_t jerr;
    json_t *o = rsp ? json_loads(rsp, 0, &jerr) : json_object();
    flux_future_destroy(f);
    if (!o)
        die(1, "flux-jobtap: %s: malformed response", what);
    return o;
}

} // namespace

int cmd_jobtap(int argc, char **argv)
{
    if (argc < 2)
        die(1, "%s", jobtap_usage);
    std::string sub = argv[1];
    if (sub == "-h" || sub == "--help") {
        printf("%s\n", jobtap_usage);
        return 0;
    }
    if (sub == "load") {
        if (argc < 3)
            die(1, "%s", jobtap_usage);
        std::string path = argv[2];
        /* The broker's working directory is not ours: send a real path.
         * ".name" (no slash) is a built-in plugin: sent as it is. */
        char real[PATH_MAX];
        bool builtin = path.size() > 1 && path[0] == '.' && path.find('/') == std::string::npos;
        if (!builtin) {
            if (!realpath(path.c_str(), real))
                die(1, "flux-jobtap: %s: %s", path.c_str(), strerror(errno));
            path = real;
        }
        json_t *conf = conf_from_args(argc - 3, argv + 3);
        flux_t *h = open_or_die("flux-jobtap");
        json_t *o = jobtap_rpc(h, json_pack("{s:s s:o}", "load", path.c_str(), "conf", conf),
                               ("load " + std::string(argv[2])).c_str());
        json_decref(o);
        flux_close(h);
        return 0;
    }
    if (sub == "remove") {
        if (argc != 3)
            die(1, "%s", jobtap_usage);
        flux_t *h = open_or_die("flux-jobtap");
        json_decref(jobtap_rpc(h, json_pack("{s:s}", "remove", argv[2]),
                               ("remove " + std::string(argv[2])).c_str()));
        flux_close(h);
        return 0;
    }
    if (sub == "list") {
        if (argc != 2)
            die(1, "%s", jobtap_usage);
        flux_t *h = open_or_die("flux-jobtap");
        json_t *o = jobtap_rpc(h, json_object(), "list");
        json_t *plugins = json_object_get(o, "plugins");
        size_t i;
        json_t *p;
        json_array_foreach(plugins, i, p)
        {
            const char *name;
            if (json_unpack(p, "{s:s}", "name", &name) == 0)
                printf("%s\n", name);
        }
        json_decref(o);
        flux_close(h);
        return 0;
    }
    if (sub == "query") {
        if (argc != 3)
            die(1, "%s", jobtap_usage);
        flux_t *h = open_or_die("flux-jobtap");
        json_t *o = jobtap_rpc(h, json_pack("{s:s}", "query", argv[2]),
                               ("query " + std::string(argv[2])).c_str());
        char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
        printf("%s\n", text ? text : "{}");
        free(text);
        json_decref(o);
        flux_close(h);
        return 0;
    }
    die(1, "flux-jobtap: unknown subcommand '%s'\n%s", sub.c_str(), jobtap_usage);
}

} // namespace fluxcmd
