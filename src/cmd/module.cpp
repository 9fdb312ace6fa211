/* module.cpp - flux module load|remove|list|stats. */
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <getopt.h>

#include <string>

#include "cmd.h"

namespace fluxcmd {

namespace {

const char *usage_text = "Usage: flux module load [-r RANK] NAME|PATH [ARGS...]\n"
                         "       flux module remove [-r RANK] NAME\n"
                         "       flux module list [-r RANK]\n"
                         "       flux module stats [-r RANK] [-p FIELD] NAME";

/* -r RANK (all subcommands) and, for stats, -p FIELD into *PARSE. */
uint32_t parse_rank_opt(int *argc, char ***argv, const char **parse = nullptr)
{
    uint32_t nodeid = FLUX_NODEID_ANY;
    int c;
    optind = 1;
    static const struct option opts[] = {
        {"rank", required_argument, nullptr, 'r'},
        {"help", no_argument, nullptr, 'h'},
        {"parse", required_argument, nullptr, 'p'},
        {nullptr, 0, nullptr, 0},
    };
    while ((c = getopt_long(*argc, *argv, parse ? "+r:hp:" : "+r:h", opts, nullptr)) != -1) {
        if (c == 'r')
            nodeid = parse_u32_or_die("flux-module", "rank", optarg);
        else if (c == 'p' && parse)
            *parse = optarg;
        else if (c == 'h') {
            printf("%s\n", usage_text);
            exit(0);
        }
        else
            exit(1);
    }
    *argc -= optind;
    *argv += optind;
    return nodeid;
}

} // namespace

int cmd_module(int argc, char **argv)
{
    if (argc < 2)
        die(1, "%s", usage_text);
    std::string sub = argv[1];
    argc--;
    argv++;
    if (sub == "-h" || sub == "--help") {
        printf("%s\n", usage_text);
        return 0;
    }
    const char *field = nullptr;
    uint32_t nodeid = parse_rank_opt(&argc, &argv, sub == "stats" ? &field : nullptr);
    if (sub == "load") {
        if (argc < 1)
            die(1, "%s", usage_text);
        std::string path = argv[0];
        if (path.find('/') != std::string::npos) {
            char real[PATH_MAX];
            if (!realpath(path.c_str(), real))
                die(1, "flux-module: %s: %s", path.c_str(), strerror(errno));
            path = real;
        }
        json_t *args = json_array();
        for (int i = 1; i < argc; i++)
            json_array_append_new(args, json_string(argv[i]));
        flux_t *h = open_or_die("flux-module");
        flux_future_t *f = flux_rpc_pack(h, "module.load", nodeid, 0, "{s:s s:o}", "path",
                                         path.c_str(), "args", args);
        if (!f || flux_rpc_get(f, nullptr) < 0)
            die(1, "flux-module: load %s: %s", argv[0],
                f ? flux_future_error_string(f) : strerror(errno));
        flux_future_destroy(f);
        flux_close(h);
        return 0;
    }
    if (sub == "remove" || sub == "unload") {
        if (argc != 1)
            die(1, "%s", usage_text);
        flux_t *h = open_or_die("flux-module");
        flux_future_t *f = flux_rpc_pack(h, "module.remove", nodeid, 0, "{s:s}", "name", argv[0]);
        if (!f || flux_rpc_get(f, nullptr) < 0)
            die(1, "flux-module: remove %s: %s", argv[0],
                f ? flux_future_error_string(f) : strerror(errno));
        flux_future_destroy(f);
        flux_close(h);
        return 0;
    }
    if (sub == "list") {
        if (argc != 0)
            die(1, "%s", usage_text);
        flux_t *h = open_or_die("flux-module");
        flux_future_t *f = flux_rpc(h, "module.list", nullptr, nodeid, 0);
        json_t *mods, *builtin;
        if (!f || flux_rpc_get_unpack(f, "{s:o s:o}", "modules", &mods, "builtin", &builtin) < 0)
            die(1, "flux-module: list: %s", f ? flux_future_error_string(f) : strerror(errno));
        printf("%-20s %6s %-8s %s\n", "Module", "Idle", "State", "Path");
        size_t i;
        json_t *m;
        json_array_foreach(mods, i, m)
        {
            const char *name, *path, *state;
            double idle;
            if (json_unpack(m, "{s:s s:s s:s s:f}", "name", &name, "path", &path, "state", &state,
                            "idle", &idle) == 0)
                printf("%-20s %6d %-8s %s\n", name, (int)idle, state, path);
        }
        json_array_foreach(builtin, i, m)
        {
            printf("%-20s %6s %-8s %s\n", json_string_value(m), "-", "running", "(built-in)");
        }
        flux_future_destroy(f);
        flux_close(h);
        return 0;
    }
    if (sub == "stats") {
        /* NAME.stats-get, as Flux: the JSON object, or with -p/--parse
         * FIELD (a.b for nested) that one value. */
        if (argc != 1)
            die(1, "%s", usage_text);
        flux_t *h = open_or_die("flux-module");
        std::string topic = std::string(argv[0]) + ".stats-get";
        flux_future_t *f = flux_rpc(h, topic.c_str(), nullptr, nodeid, 0);
        const char *text;
        if (!f || flux_rpc_get(f, &text) < 0 || !text)
            die(1, "flux-module: stats %s: %s", argv[0],
                f ? flux_future_error_string(f) : strerror(errno));
        json_error_t jerr;
        json_t *o = json_loads(text, 0, &jerr);
        json_t *v = o;
        if (field) {
            std::string path = field;
            size_t start = 0;
            while (v && start <= path.size()) {
                size_t dot = path.find('.', start);
                std::string key = path.substr(start, dot == std::string::npos ? dot : dot - start);
                v = json_object_get(v, key.c_str());
                if (dot == std::string::npos)
                    break;
                start = dot + 1;
            }
            if (!v)
                die(1, "flux-module: stats %s: no field %s", argv[0], field);
        }
        char *out = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : nullptr;
        printf("%s\n", out ? out : text);
        free(out);
        json_decref(o);
        flux_future_destroy(f);
        flux_close(h);
        return 0;
    }
    die(1, "flux-module: unknown subcommand '%s'\n%s", sub.c_str(), usage_text);
}

} // namespace fluxcmd
