/* main.cpp - fluxd: parse options, boot, run the broker.
 *
 *   fluxd [-S NAME=VALUE]... [-c PATH] [INITIAL-PROGRAM [ARGS...]]
 *
 * flux-start(1) runs brokers with --test-size/--test-rank/--test-dir; a
 * system instance runs one fluxd per node with --config-path.  Rank 0 runs
 * INITIAL-PROGRAM once the instance is up and exits with its status.
 */
#include <string>
#include <vector>
#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <getopt.h>
#include <unistd.h>

#include "boot.h"
#include "pmi_boot.h"
#include "selfexe/selfexe.h"
#include "broker.h"
#include "config.h"

using namespace fluxd;

namespace {

/* The PMIx server of whatever started this broker (a parent's job shell,
 * mpirun) is not the instance's: its jobs must not find it.  Once booted,
 * drop the variables PMIx_server_setup_fork gave this process (PMIX_*,
 * except the user's PMIX_MCA_* settings), and the Open MPI settings a
 * fluxd shell adds beside them when they point at that server's session.
 * A one-task job of the instance, which gets no PMIx server, would
 * otherwise hand its task the parent's URI and rank. */
void unset_pmix_server_env()
{
    const char *ns = getenv("PMIX_NAMESPACE");
    if (!ns || !*ns)
        return;
    std::string tmpdir = getenv("PMIX_SERVER_TMPDIR") ? getenv("PMIX_SERVER_TMPDIR") : "";
    std::vector<std::string> drop;
    for (char **e = environ; *e; e++) {
        std::string kv = *e;
        std::string name = kv.substr(0, kv.find('='));
        std::string value = kv.size() > name.size() ? kv.substr(name.size() + 1) : "";
        if (name.starts_with("PMIX_") && !name.starts_with("PMIX_MCA_"))
            drop.push_back(name);
        else if (name == "OMPI_MCA_pmix" && value == "ext3x")
            drop.push_back(name);
        else if ((name == "OMPI_MCA_orte_tmpdir_base"
                  || name == "OMPI_MCA_btl_vader_backing_directory")
                 && !tmpdir.empty() && value == tmpdir)
            drop.push_back(name);
    }
    for (auto &name : drop)
        unsetenv(name.c_str());
}

void usage(FILE *f)
{
    fprintf(f, "Usage: fluxd [OPTIONS] [INITIAL-PROGRAM [ARGS...]]\n"
               "  -S, --setattr=NAME=VALUE   set a broker attribute\n"
               "  -c, --config-path=PATH     TOML config file or directory\n"
               "      --test-size=N          test instance size (flux start)\n"
               "      --test-rank=R          this broker's rank in a test instance\n"
               "      --test-dir=DIR         shared directory of a test instance\n"
               "      --config-check         validate --config-path as boot would, then exit\n"
               "  -V, --version              print version and exit\n"
               "  -h, --help                 this text\n");
}

bool parse_u32(const char *s, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || end == s || v > 0xfffffff0UL)
        return false;
    *out = (uint32_t)v;
    return true;
}

void declare_attrs(Attrs &a)
{
    auto level = [](const std::string &v) { return Attrs::check_int_range(v, 0, 7); };
    a.declare("log-stderr-level", "3", Attrs::runtime, level);
    a.declare("log-ring-size", "1024", Attrs::runtime,
              [](const std::string &v) { return Attrs::check_int_range(v, 1, 1 << 20); });
    a.declare("tbon.fanout", "2", Attrs::immutable,
              [](const std::string &v) { return Attrs::check_int_range(v, 1, 1024); });
    a.declare("broker.quorum", std::nullopt, Attrs::immutable,
              [](const std::string &v) { return Attrs::check_int_range(v, 1, 1 << 30); });
    a.declare("broker.shutdown-timeout", "10", Attrs::runtime,
              [](const std::string &v) { return Attrs::check_int_range(v, 0, 3600); });
    a.declare("broker.signal-forward", "all", Attrs::immutable, [](const std::string &v) {
        return v == "all" || v == "jobs" || v == "script" ? "" : "expected all, jobs or script";
    });
    a.declare("access.allow-guest-user", "false", Attrs::immutable, [](const std::string &v) {
        return v == "true" || v == "false" ? "" : "expected true or false";
    });
    for (const char *key : {"access.allow-root-owner", "access.allow-guest-list-all"}) {
        a.declare(key, "false", Attrs::immutable, [](const std::string &v) {
            return v == "true" || v == "false" ? "" : "expected true or false";
        });
    }
    /* job-exec forks the owner's shells from one launcher (on) or execs
     * each (off): doc/design/shell-launcher.md. */
    a.declare("exec.shell-launcher", "on", Attrs::immutable, [](const std::string &v) {
        return v == "on" || v == "off" ? "" : "expected on or off";
    });
    a.declare("statedir", std::nullopt, Attrs::immutable);
    a.declare("rundir", std::nullopt, Attrs::immutable);
    a.declare("hostname", std::nullopt, Attrs::immutable);
    /* Modules: $FLUX_MODULE_PATH first, then the install directory. */
    std::string mpath = FLUX_MODULE_DIR;
    /* A broker run from its build tree loads the modules built with it. */
    if (std::string exe = flux::self_exe(); !exe.empty()) {
        std::string dir = flux::self_dir();
        if (dir.size() > 1 && dir.ends_with("/.libs"))
            dir = dir.substr(0, dir.size() - 6);
        std::string built = dir + "/../plugins/sched/simple/.libs";
        struct stat sb;
        if (stat((dir + "/main.cpp").c_str(), &sb) == 0 && stat(built.c_str(), &sb) == 0)
            mpath = built + ":" + mpath;
        std::string graph = dir + "/../plugins/sched/graph/.libs";
        if (stat((dir + "/main.cpp").c_str(), &sb) == 0 && stat(graph.c_str(), &sb) == 0)
            mpath = graph + ":" + mpath;
    }
    if (const char *p = getenv("FLUX_MODULE_PATH"); p && *p)
        mpath = std::string(p) + ":" + mpath;
    a.declare("conf.module_path", mpath, Attrs::immutable);
    /* The scheduler module rank 0 loads at startup ("none": load none). */
    a.declare("sched-module", "sched-simple", Attrs::immutable);
    /* Seconds job-ingest waits for the scheduler's feasibility answer. */
    a.declare("job-ingest.feasibility-timeout", "10", Attrs::runtime,
              [](const std::string &v) { return Attrs::check_int_range(v, 1, 86400); });
    a.declare("instance-level", "0", Attrs::immutable,
              [](const std::string &v) { return Attrs::check_int_range(v, 0, 1000); });
    a.declare("parent-uri", std::nullopt, Attrs::immutable);
    /* A nested instance: the enclosing job and where its keys live. */
    a.declare("jobid", std::nullopt, Attrs::immutable);
    a.declare("parent-kvs-namespace", std::nullopt, Attrs::immutable);
    /* PMI boot: seconds one PMI answer may take; the address or interface
     * the overlay listens on (default 127.0.0.1). */
    a.declare("broker.boot-timeout", "60", Attrs::immutable,
              [](const std::string &v) { return Attrs::check_int_range(v, 1, 86400); });
    a.declare("tbon.interface-hint", std::nullopt, Attrs::immutable);
    a.declare("resource.exclude", std::nullopt, Attrs::immutable);
    a.declare("resource.path", std::nullopt, Attrs::immutable);
    /* [resource] noverify: R from resource.path is taken as is, ranks
     * beyond the instance size included (synthetic resources). */
    a.declare("resource.noverify", "false", Attrs::immutable, [](const std::string &v) {
        return v == "true" || v == "false" ? "" : "expected true or false";
    });
    /* Signed jobspec J: whether job-ingest takes mechanism none from guests
     * (unset: yes, except in a config-booted instance); brokers proving
     * themselves to their parent with munge ([bootstrap] authenticate). */
    a.declare("ingest.allow-guest-none", std::nullopt, Attrs::immutable,
              [](const std::string &v) {
                  return v == "true" || v == "false" ? "" : "expected true or false";
              });
    a.declare("tbon.authenticate", "none", Attrs::immutable, [](const std::string &v) {
        return v == "none" || v == "munge" ? "" : "expected none or munge";
    });
    /* sched-graph's settings (-Ssched-graph.KEY=VALUE or [sched-graph]). */
    for (const char *key :
         {"match-policy", "queue-policy", "reservation-depth", "queue-depth", "mode", "queues"})
        a.declare(std::string("sched-graph.") + key, std::nullopt, Attrs::immutable);
    for (const char *name :
         {"rank", "size", "local-uri", "broker.pid", "broker.boot-method", "broker.ready-time",
          "tbon.endpoint", "tbon.parent-endpoint", "tbon.level", "version", "security.owner"})
        a.reserve(name);
}

} // namespace

/* A larger per-thread cache of freed small blocks (glibc's tcache keeps 7
 * per size): the job pipeline allocates and frees hundreds of small
 * objects per job in bursts, and each tcache miss takes the slower path
 * through the arena (about a fifth of the main thread's time; with 256
 * per size, jobs/s rose by a fifth).  64 per size gives the same jobs/s
 * and holds less: the cached blocks count in the RSS of an idle broker
 * (about 0.1 KiB per inactive job at 20,000 with 256).  Tunables are read only at exec
 * time, so the broker execs itself once with them set, then puts the
 * environment back as it was for what it starts (shells, tasks).
 * FLUXD_MALLOC_TUNING=0, or a tcache_count already in GLIBC_TUNABLES,
 * leaves things as they are. */
static void malloc_tuning(char *argv[])
{
    const char *saved = getenv("FLUXD_SAVED_GLIBC_TUNABLES");
    if (saved) {
        if (*saved == '-')
            setenv("GLIBC_TUNABLES", saved + 1, 1);
        else
            unsetenv("GLIBC_TUNABLES");
        unsetenv("FLUXD_SAVED_GLIBC_TUNABLES");
        return;
    }
    const char *off = getenv("FLUXD_MALLOC_TUNING");
    const char *t = getenv("GLIBC_TUNABLES");
    if ((off && strcmp(off, "0") == 0) || (t && strstr(t, "glibc.malloc.tcache_count")))
        return;
    std::string tunables = t && *t ? std::string(t) + ":" : "";
    tunables += "glibc.malloc.tcache_count=64";
    /* "-" + the old value, or "" when there was none. */
    setenv("FLUXD_SAVED_GLIBC_TUNABLES", t ? ("-" + std::string(t)).c_str() : "", 1);
    setenv("GLIBC_TUNABLES", tunables.c_str(), 1);
    /* By its real path: the process keeps its name (comm). */
    if (std::string self = flux::self_exe(); !self.empty())
        execv(self.c_str(), argv);
    /* Cannot re-exec: run untuned. */
    unsetenv("FLUXD_SAVED_GLIBC_TUNABLES");
    if (t)
        setenv("GLIBC_TUNABLES", t, 1);
    else
        unsetenv("GLIBC_TUNABLES");
}

int main(int argc, char *argv[])
{
    malloc_tuning(argv);
    static const struct option opts[] = {
        {"setattr", required_argument, nullptr, 'S'},
        {"config-path", required_argument, nullptr, 'c'},
        {"test-size", required_argument, nullptr, 's'},
        {"test-rank", required_argument, nullptr, 'r'},
        {"test-dir", required_argument, nullptr, 'd'},
        {"version", no_argument, nullptr, 'V'},
        {"help", no_argument, nullptr, 'h'},
        {"config-check", no_argument, nullptr, 'C'},
        {nullptr, 0, nullptr, 0},
    };
    /* The broker frees and reallocates many small objects in bursts: keep
     * freed memory instead of returning it to the kernel after each burst
     * (brk churn was a tenth of the job pipeline's time). */
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    mallopt(M_TOP_PAD, 16 << 20);
    Broker broker;
    Attrs &attrs = broker.attrs();
    declare_attrs(attrs);

    /* Environment of an enclosing instance: this one is nested in it. */
    const char *parent_uri = getenv("FLUX_URI");
    const char *level = getenv("FLUX_INSTANCE_LEVEL");
    if (parent_uri && *parent_uri) {
        attrs.set_cmdline("parent-uri", parent_uri);
        long l = level ? strtol(level, nullptr, 10) : 0;
        attrs.set_cmdline("instance-level", std::to_string(l + 1));
    }

    std::vector<std::pair<std::string, std::string>> setattrs;
    std::string config_path;
    uint32_t test_size = 0, test_rank = 0;
    std::string test_dir;
    bool config_check = false;
    int c;
    while ((c = getopt_long(argc, argv, "+S:c:Vh", opts, nullptr)) != -1) {
        switch (c) {
            case 'S': {
                auto kv = Attrs::parse_assignment(optarg);
                if (!kv) {
                    fprintf(stderr, "fluxd: --setattr: expected NAME=VALUE, got '%s'\n", optarg);
                    return 1;
                }
                setattrs.push_back(*kv);
                break;
            }
            case 'c':
                config_path = optarg;
                break;
            case 's':
                if (!parse_u32(optarg, &test_size) || test_size < 1) {
                    fprintf(stderr, "fluxd: --test-size: '%s' is not a positive integer\n", optarg);
                    return 1;
                }
                break;
            case 'r':
                if (!parse_u32(optarg, &test_rank)) {
                    fprintf(stderr, "fluxd: --test-rank: '%s' is not a rank\n", optarg);
                    return 1;
                }
                break;
            case 'd':
                test_dir = optarg;
                break;
            case 'C':
                config_check = true;
                break;
            case 'V':
                printf("fluxd %s\n", PACKAGE_VERSION);
                return 0;
            case 'h':
                usage(stdout);
                return 0;
            default:
                usage(stderr);
                return 1;
        }
    }
    std::vector<std::string> initial;
    for (int i = optind; i < argc; i++)
        initial.push_back(argv[i]);

    std::optional<Config> cfg;
    if (!config_path.empty()) {
        auto loaded = config_load(config_path);
        if (!loaded) {
            fprintf(stderr, "fluxd: config: %s\n", loaded.error().text.c_str());
            return 1;
        }
        cfg = std::move(*loaded);
        for (const auto &[k, v] : cfg->attrs) {
            if (std::string e = attrs.set_cmdline(k, v); !e.empty()) {
                fprintf(stderr, "fluxd: config: %s\n", e.c_str());
                return 1;
            }
        }
    }
    for (const auto &[k, v] : setattrs) {
        if (std::string e = attrs.set_cmdline(k, v); !e.empty()) {
            fprintf(stderr, "fluxd: --setattr: %s\n", e.c_str());
            return 1;
        }
    }
    /* flux config check: the same validation as boot, nothing started. */
    if (config_check) {
        if (config_path.empty()) {
            fprintf(stderr, "fluxd: --config-check needs --config-path\n");
            return 1;
        }
        return 0;
    }
    if (cfg)
        broker.set_config(config_path, cfg->json, cfg->attrs);

    BootInfo boot;
    if (test_size > 0) {
        if (test_rank >= test_size || test_dir.empty()) {
            fprintf(stderr, "fluxd: --test-rank must be < --test-size, with --test-dir\n");
            return 1;
        }
        boot = boot_for_test(test_rank, test_size, test_dir);
        if (!attrs.get("rundir"))
            attrs.set_cmdline("rundir", test_dir + "/rank-" + std::to_string(test_rank));
    }
    else if (cfg) {
        std::string host;
        if (auto h = attrs.get("hostname"); h && !h->empty())
            host = *h;
        else if (const char *fake = getenv("FLUX_FAKE_HOSTNAME"); fake && *fake)
            host = fake;
        else {
            char buf[256] = "";
            gethostname(buf, sizeof(buf) - 1);
            host = buf;
        }
        auto b = boot_from_config(*cfg, host);
        if (!b) {
            fprintf(stderr, "fluxd: config: %s\n", b.error().text.c_str());
            return 1;
        }
        boot = *b;
        if (!attrs.get("hostname"))
            attrs.set_cmdline("hostname", host);
    }
    else if (pmi_boot_wanted()) {
        auto b = boot_from_pmi((uint32_t)attrs.get_long("tbon.fanout").value_or(2),
                               attrs.get("tbon.interface-hint").value_or(""),
                               (double)attrs.get_long("broker.boot-timeout").value_or(60));
        if (!b) {
            fprintf(stderr, "fluxd: %s\n", b.error().text.c_str());
            return 1;
        }
        boot = *b;
    }
    else {
        boot.method = "single";
        boot.connect_uri.push_back("");
    }
    /* A job of a parent instance: its id, and (rank 0) its R as this
     * instance's resources. */
    std::string r_file;
    const char *jobid = getenv("FLUX_JOB_ID");
    if (jobid && *jobid && parent_uri && *parent_uri) {
        attrs.set_cmdline("jobid", jobid);
        const char *ns = getenv("FLUX_KVS_NAMESPACE");
        attrs.set_cmdline("parent-kvs-namespace", ns && *ns ? ns : "primary");
        if (boot.rank == 0 && !attrs.get("resource.path")) {
            auto R = parent_job_R(parent_uri, jobid, boot.size);
            if (!R)
                fprintf(stderr, "fluxd: %s; resources are discovered instead\n",
                        R.error().text.c_str());
            else {
                /* The job's own directory where the shell made one (flux
                 * batch): removed with the job, so a broker killed before
                 * its unlink below leaves nothing behind. */
                const char *tmp = getenv("FLUX_JOB_TMPDIR");
                if (!tmp || !*tmp)
                    tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
                std::string path = std::string(tmp) + "/fluxd-R-XXXXXX";
                int fd = mkstemp(path.data());
                if (fd < 0 || write(fd, R->data(), R->size()) != (ssize_t)R->size()) {
                    fprintf(stderr, "fluxd: cannot write the job's R under %s: %s\n", tmp,
                            strerror(errno));
                    return 1;
                }
                close(fd);
                r_file = path;
                attrs.set_cmdline("resource.path", path);
            }
        }
    }
    /* What described this broker's place in the parent must not leak into
     * the instance's own programs and jobs. */
    for (const char *var : {"PMI_FD", "PMI_RANK", "PMI_SIZE", "PMI_SPAWNED", "FLUX_PMI_LIBRARY_PATH",
                            "FLUX_JOB_ID", "FLUX_JOB_SIZE", "FLUX_JOB_NNODES", "FLUX_TASK_MAP",
                            "FLUX_TASK_RANK", "FLUX_TASK_LOCAL_ID", "FLUX_KVS_NAMESPACE",
                            "FLUX_JOB_TMPDIR"})
        unsetenv(var);
    unset_pmix_server_env();
    auto r = broker.init(boot, initial);
    if (!r_file.empty())
        unlink(r_file.c_str());
    if (!r) {
        fprintf(stderr, "fluxd: %s\n", r.error().text.c_str());
        return 1;
    }
    return broker.run();
}
