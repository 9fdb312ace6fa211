/* kvs.cpp - flux kvs: get, put, ls, dir, unlink, watch, namespace. */
#include <cerrno>
#include <cstring>
#include <getopt.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "cmd.h"
#include "flux/kvs.h"

namespace fluxcmd {

namespace {

const char *usage_text =
    "Usage: flux kvs get [-N NS] [-j] [-w [-W] [-a] [-c COUNT]] KEY...\n"
    "       flux kvs put [-N NS] [-j] [-A] KEY=VALUE...\n"
    "       flux kvs ls [-N NS] [-R] [KEY...]\n"
    "       flux kvs dir [-N NS] [-R] [KEY]\n"
    "       flux kvs unlink [-N NS] KEY...\n"
    "       flux kvs watch [-N NS] [-W] [-a] [-c COUNT] KEY\n"
    "       flux kvs namespace create [-o UID] NAME... | remove NAME... | list";

struct Opts {
    std::string ns = "primary";
    bool json = false, watch = false, waitcreate = false, append = false, recursive = false;
    uint32_t count = 0;
};

/* Parse the common options; returns the index of the first operand. */
int parse(int argc, char **argv, Opts &o)
{
    static const struct option opts[] = {
        {"namespace", required_argument, nullptr, 'N'},
        {"json", no_argument, nullptr, 'j'},
        {"watch", no_argument, nullptr, 'w'},
        {"waitcreate", no_argument, nullptr, 'W'},
        {"append", no_argument, nullptr, 'a'},
        {"recursive", no_argument, nullptr, 'R'},
        {"count", required_argument, nullptr, 'c'},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+N:jwWaARc:h", opts, nullptr)) != -1) {
        switch (c) {
            case 'N':
                o.ns = optarg;
                break;
            case 'j':
                o.json = true;
                break;
            case 'w':
                o.watch = true;
                break;
            case 'W':
                o.waitcreate = true;
                break;
            case 'a':
            case 'A':
                o.append = true;
                break;
            case 'R':
                o.recursive = true;
                break;
            case 'c':
                o.count = parse_u32_or_die("flux-kvs", "count", optarg);
                break;
            case 'h':
                printf("%s\n", usage_text);
                exit(0);
            default:
                exit(1);
        }
    }
    return optind;
}

/* Print a value: strings raw (unless --json), everything else as JSON. */
void print_value(const char *json, bool as_json)
{
    json_error_t jerr;
    json_t *v = json_loads(json, JSON_DECODE_ANY, &jerr);
    if (v && json_is_string(v) && !as_json)
        printf("%s\n", json_string_value(v));
    else
        printf("%s\n", json);
    json_decref(v);
}

int kvs_get(flux_t *h, int argc, char **argv)
{
    Opts o;
    int i = parse(argc, argv, o);
    if (i >= argc)
        die(1, "%s", usage_text);
    if (o.watch && argc - i != 1)
        die(1, "flux-kvs: --watch takes exactly one key");
    int flags = 0;
    if (o.watch)
        flags |= FLUX_KVS_WATCH | (o.waitcreate ? FLUX_KVS_WAITCREATE : 0)
                 | (o.append ? FLUX_KVS_WATCH_APPEND : 0);
    for (; i < argc; i++) {
        flux_future_t *f = flux_kvs_lookup(h, o.ns.c_str(), flags, argv[i]);
        if (!f)
            die(1, "flux-kvs: %s: %s", argv[i], strerror(errno));
        for (uint32_t n = 0; !o.watch || o.count == 0 || n < o.count; n++) {
            const char *value;
            if (flux_kvs_lookup_get(f, &value) < 0) {
                if (o.watch && errno == ENODATA)
                    break;
                die(1, "flux-kvs: %s: %s", argv[i], flux_future_error_string(f));
            }
            if (o.watch && o.append) {
                json_error_t jerr;
                json_t *v = json_loads(value, JSON_DECODE_ANY, &jerr);
                fputs(v && json_is_string(v) ? json_string_value(v) : value, stdout);
                json_decref(v);
            }
            else
                print_value(value, o.json);
            fflush(stdout);
            if (!o.watch)
                break;
            flux_future_reset(f);
        }
        if (o.watch)
            flux_kvs_lookup_cancel(f);
        flux_future_destroy(f);
    }
    return 0;
}

int kvs_put(flux_t *h, int argc, char **argv)
{
    Opts o;
    int i = parse(argc, argv, o);
    if (i >= argc)
        die(1, "%s", usage_text);
    flux_kvs_txn_t *txn = flux_kvs_txn_create();
    for (; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        if (!eq || eq == argv[i])
            die(1, "flux-kvs: put: expected KEY=VALUE, got '%s'", argv[i]);
        std::string key(argv[i], eq - argv[i]);
        const char *value = eq + 1;
        int flags = o.append ? FLUX_KVS_APPEND : 0;
        int rc = o.json ? flux_kvs_txn_put(txn, flags, key.c_str(), value)
                        : flux_kvs_txn_put_string(txn, flags, key.c_str(), value);
        if (rc < 0)
            die(1, "flux-kvs: put %s: %s", key.c_str(),
                o.json ? "value is not valid JSON" : strerror(errno));
    }
    flux_future_t *f = flux_kvs_commit(h, o.ns.c_str(), 0, txn);
    if (!f || flux_rpc_get(f, nullptr) < 0)
        die(1, "flux-kvs: put: %s", f ? flux_future_error_string(f) : strerror(errno));
    flux_future_destroy(f);
    flux_kvs_txn_destroy(txn);
    return 0;
}

json_t *get_dir(flux_t *h, const Opts &o, const std::string &key)
{
    flux_future_t *f = flux_kvs_dir(h, o.ns.c_str(), key.c_str());
    const char *entries;
    if (!f || flux_kvs_dir_get(f, &entries) < 0)
        die(1, "flux-kvs: %s: %s", key.c_str(), f ? flux_future_error_string(f) : strerror(errno));
    json_error_t jerr;
    json_t *o_entries = json_loads(entries, 0, &jerr);
    flux_future_destroy(f);
    return o_entries;
}

std::string join(const std::string &dir, const char *name)
{
    return dir == "." ? std::string(name) : dir + "." + name;
}

void list_dir(flux_t *h, const Opts &o, const std::string &key, bool values, bool header)
{
    json_t *entries = get_dir(h, o, key);
    if (header)
        printf("%s:\n", key.c_str());
    const char *name;
    json_t *type;
    std::vector<std::string> subdirs;
    json_object_foreach(entries, name, type)
    {
        bool is_dir = strcmp(json_string_value(type), "dir") == 0;
        std::string path = join(key, name);
        if (is_dir) {
            if (!values)
                printf("%s.\n", o.recursive ? path.c_str() : name);
            if (o.recursive)
                subdirs.push_back(path);
            continue;
        }
        if (!values) {
            printf("%s\n", o.recursive ? path.c_str() : name);
            continue;
        }
        flux_future_t *f = flux_kvs_lookup(h, o.ns.c_str(), 0, path.c_str());
        const char *value;
        if (!f || flux_kvs_lookup_get(f, &value) < 0)
            die(1, "flux-kvs: %s: %s", path.c_str(),
                f ? flux_future_error_string(f) : strerror(errno));
        printf("%s = %s\n", path.c_str(), value);
        flux_future_destroy(f);
    }
    json_decref(entries);
    for (const auto &d : subdirs)
        list_dir(h, o, d, values, false);
}

int kvs_ls(flux_t *h, int argc, char **argv, bool values)
{
    Opts o;
    int i = parse(argc, argv, o);
    if (i == argc) {
        list_dir(h, o, ".", values, false);
        return 0;
    }
    bool many = argc - i > 1;
    for (; i < argc; i++)
        list_dir(h, o, argv[i], values, many);
    return 0;
}

int kvs_unlink(flux_t *h, int argc, char **argv)
{
    Opts o;
    int i = parse(argc, argv, o);
    if (i >= argc)
        die(1, "%s", usage_text);
    flux_kvs_txn_t *txn = flux_kvs_txn_create();
    for (int j = i; j < argc; j++) {
        /* Fail on a missing key rather than silently succeed. */
        flux_future_t *f = flux_kvs_lookup(h, o.ns.c_str(), 0, argv[j]);
        if (!f || (flux_kvs_lookup_get(f, nullptr) < 0 && errno != EISDIR))
            die(1, "flux-kvs: unlink %s: %s", argv[j],
                f ? flux_future_error_string(f) : strerror(errno));
        flux_future_destroy(f);
        flux_kvs_txn_unlink(txn, 0, argv[j]);
    }
    flux_future_t *f = flux_kvs_commit(h, o.ns.c_str(), 0, txn);
    if (!f || flux_rpc_get(f, nullptr) < 0)
        die(1, "flux-kvs: unlink: %s", f ? flux_future_error_string(f) : strerror(errno));
    flux_future_destroy(f);
    flux_kvs_txn_destroy(txn);
    return 0;
}

int kvs_namespace(flux_t *h, int argc, char **argv)
{
    if (argc < 2)
        die(1, "%s", usage_text);
    std::string sub = argv[1];
    argc--;
    argv++;
    if (sub == "list") {
        flux_future_t *f = flux_rpc(h, "kvs.namespace-list", nullptr, FLUX_NODEID_ANY, 0);
        json_t *a;
        if (!f || flux_rpc_get_unpack(f, "{s:o}", "namespaces", &a) < 0)
            die(1, "flux-kvs: namespace list: %s",
                f ? flux_future_error_string(f) : strerror(errno));
        printf("%-24s %8s %10s\n", "NAMESPACE", "OWNER", "VERSION");
        size_t i;
        json_t *n;
        json_array_foreach(a, i, n)
        {
            const char *name;
            int owner;
            json_int_t version;
            json_unpack(n, "{s:s s:i s:I}", "namespace", &name, "owner", &owner, "version",
                        &version);
            printf("%-24s %8d %10lld\n", name, owner, (long long)version);
        }
        flux_future_destroy(f);
        return 0;
    }
    uint32_t owner = getuid();
    int c;
    optind = 1;
    while ((c = getopt(argc, argv, "+o:")) != -1) {
        if (c == 'o')
            owner = parse_u32_or_die("flux-kvs", "owner", optarg);
        else
            exit(1);
    }
    if (optind >= argc || (sub != "create" && sub != "remove"))
        die(1, "%s", usage_text);
    for (int i = optind; i < argc; i++) {
        flux_future_t *f = sub == "create" ? flux_kvs_namespace_create(h, argv[i], owner, 0)
                                           : flux_kvs_namespace_remove(h, argv[i]);
        if (!f || flux_rpc_get(f, nullptr) < 0)
            die(1, "flux-kvs: namespace %s %s: %s", sub.c_str(), argv[i],
                f ? flux_future_error_string(f) : strerror(errno));
        flux_future_destroy(f);
    }
    return 0;
}

} // namespace

int cmd_kvs(int argc, char **argv)
{
    if (argc < 2)
        die(1, "%s", usage_text);
    std::string sub = argv[1];
    if (sub == "-h" || sub == "--help") {
        printf("%s\n", usage_text);
        return 0;
    }
    flux_t *h = open_or_die("flux-kvs");
    int rc;
    if (sub == "get")
        rc = kvs_get(h, argc - 1, argv + 1);
    else if (sub == "watch") {
        std::vector<char *> av(argv + 1, argv + argc);
        av.insert(av.begin() + 1, (char *)"--watch");
        rc = kvs_get(h, (int)av.size(), av.data());
    }
    else if (sub == "put")
        rc = kvs_put(h, argc - 1, argv + 1);
    else if (sub == "ls")
        rc = kvs_ls(h, argc - 1, argv + 1, false);
    else if (sub == "dir")
        rc = kvs_ls(h, argc - 1, argv + 1, true);
    else if (sub == "unlink")
        rc = kvs_unlink(h, argc - 1, argv + 1);
    else if (sub == "namespace")
        rc = kvs_namespace(h, argc - 1, argv + 1);
    else
        die(1, "flux-kvs: unknown subcommand '%s'\n%s", sub.c_str(), usage_text);
    flux_close(h);
    return rc;
}

} // namespace fluxcmd
