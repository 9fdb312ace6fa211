/* config.cpp - flux config: the instance's TOML configuration.
 *
 *   flux config get [--default=VALUE] [KEY]  the config as JSON, or one value
 *   flux config check [PATH]                 validate files as fluxd's boot does
 *   flux config reload                       the local broker rereads its config
 *
 * "check" runs fluxd --config-check, so that a file is judged by the one
 * parser the broker boots with (cmd/ never links fluxd/).
 */
#include <cerrno>
#include <cstring>
#include <getopt.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <string>

#include "cmd.h"
#include "config.h"

namespace fluxcmd {

namespace {

const char *usage_text = "Usage: flux config get [--default=VALUE] [KEY]\n"
                         "       flux config check [PATH]\n"
                         "       flux config reload\n";

/* Print VALUE: a string as is, anything else as compact JSON. */
void print_value(json_t *v)
{
    if (json_is_string(v)) {
        printf("%s\n", json_string_value(v));
        return;
    }
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    printf("%s\n", s ? s : "null");
    free(s);
}

int config_get(int argc, char **argv)
{
    static const struct option opts[] = {
        {"default", required_argument, nullptr, 'd'},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    const char *dflt = nullptr;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+d:h", opts, nullptr)) != -1) {
        switch (c) {
            case 'd':
                dflt = optarg;
                break;
            case 'h':
                printf("%s", usage_text);
                return 0;
            default:
                die(1, "%s", usage_text);
        }
    }
    if (argc - optind > 1)
        die(1, "%s", usage_text);
    const char *key = optind < argc ? argv[optind] : nullptr;
    flux_t *h = open_or_die("flux-config");
    flux_future_t *f = flux_rpc(h, "config.get", nullptr, FLUX_NODEID_ANY, 0);
    json_t *conf;
    if (!f || flux_rpc_get_unpack(f, "o", &conf) < 0)
        die(1, "flux-config: %s", f ? flux_future_error_string(f) : strerror(errno));
    json_t *v = conf;
    if (key) {
        /* KEY is a dotted path: table.subtable.key */
        std::string k = key, part;
        size_t pos = 0;
        while (v && pos <= k.size()) {
            size_t dot = k.find('.', pos);
            part = k.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
            if (part.empty())
                die(1, "flux-config: invalid key '%s'", key);
            v = json_is_object(v) ? json_object_get(v, part.c_str()) : nullptr;
            if (dot == std::string::npos)
                break;
            pos = dot + 1;
        }
        if (!v) {
            if (!dflt)
                die(1, "flux-config: '%s' is not set", key);
            printf("%s\n", dflt);
            flux_future_destroy(f);
            flux_close(h);
            return 0;
        }
    }
    print_value(v);
    flux_future_destroy(f);
    flux_close(h);
    return 0;
}

/* fluxd --config-check --config-path=PATH; its errors, as ours. */
int config_check(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        printf("%s", usage_text);
        return 0;
    }
    if (argc > 2 || (argc == 2 && argv[1][0] == '-'))
        die(1, "%s", usage_text);
    std::string path = argc == 2 ? argv[1] : FLUX_SYSTEM_CONFDIR;
    std::string fluxd = broker_path();
    std::string opt = "--config-path=" + path;
    int pfd[2];
    if (pipe(pfd) < 0)
        die(1, "flux-config: pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0)
        die(1, "flux-config: fork: %s", strerror(errno));
    if (pid == 0) {
        dup2(pfd[1], STDERR_FILENO);
        close(pfd[0]);
        close(pfd[1]);
        execl(fluxd.c_str(), fluxd.c_str(), "--config-check", opt.c_str(), (char *)nullptr);
        fprintf(stderr, "fluxd: config: exec %s: %s\n", fluxd.c_str(), strerror(errno));
        _exit(127);
    }
    close(pfd[1]);
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = read(pfd[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
        if (n > 0)
            out.append(buf, (size_t)n);
    }
    close(pfd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    for (const char *prefix : {"fluxd: config: ", "fluxd: --setattr: ", "fluxd: "}) {
        size_t len = strlen(prefix);
        if (out.compare(0, len, prefix) == 0) {
            out = out.substr(len);
            break;
        }
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        while (!out.empty() && out.back() == '\n')
            out.pop_back();
        fprintf(stderr, "flux-config: %s\n", out.empty() ? "config check failed" : out.c_str());
        return 1;
    }
    return 0;
}

int config_reload(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        printf("%s", usage_text);
        return 0;
    }
    if (argc != 1)
        die(1, "%s", usage_text);
    flux_t *h = open_or_die("flux-config");
    flux_future_t *f = flux_rpc(h, "config.reload", nullptr, FLUX_NODEID_ANY, 0);
    if (!f || flux_rpc_get(f, nullptr) < 0)
        die(1, "flux-config: %s", f ? flux_future_error_string(f) : strerror(errno));
    flux_future_destroy(f);
    flux_close(h);
    return 0;
}

} // namespace

int cmd_config(int argc, char **argv)
{
    if (argc < 2)
        die(1, "%s", usage_text);
    std::string sub = argv[1];
    if (sub == "-h" || sub == "--help") {
        printf("%s", usage_text);
        return 0;
    }
    if (sub == "get")
        return config_get(argc - 1, argv + 1);
    if (sub == "check")
        return config_check(argc - 1, argv + 1);
    if (sub == "reload")
        return config_reload(argc - 1, argv + 1);
    die(1, "flux-config: unknown subcommand '%s'\n%s", sub.c_str(), usage_text);
}

} // namespace fluxcmd
