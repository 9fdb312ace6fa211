/* start.cpp - flux start: run an instance on this host and an initial
 * program in it.  With --test-size=N, N brokers share a temporary directory
 * and find each other through unix sockets in it (test boot); rank 0 runs
 * the initial program.  The exit status is the initial program's.
 *
 * Environment: FLUX_BROKER_PATH (fluxd to run), SHELL (default program).
 */
#include <cerrno>
#include <csignal>
#include <ctime>
#include <cstring>
#include <getopt.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "launcher/launcher.h"
#include "selfexe/selfexe.h"
#include "cmd.h"
#include "config.h"

namespace fluxcmd {

namespace {

/* What launched this process as one of several without PMI (mpirun, a
 * PMIx launcher, srun), or "" when nothing did.  Asked only when neither
 * PMI_FD nor a PMIx server is there (main execs a PMI-booted broker
 * before). */
std::string foreign_launcher()
{
    auto num = [](const char *var) {
        const char *s = getenv(var);
        return s && *s ? strtol(s, nullptr, 10) : 0L;
    };
    if (long n = num("OMPI_COMM_WORLD_SIZE"); n > 1)
        return "started by mpirun as one of " + std::to_string(n) + " processes";
    if (getenv("PMIX_RANK") && getenv("PMIX_NAMESPACE"))
        return "started by a PMIx launcher (PMIX_RANK=" + std::string(getenv("PMIX_RANK")) + ")";
    if (long n = num("SLURM_STEP_NUM_TASKS"); n > 1 && getenv("SLURM_PROCID"))
        return "started by srun as one of " + std::to_string(n) + " tasks";
    return "";
}


volatile sig_atomic_t pending_signal = 0;

void on_signal(int sig)
{
    pending_signal = sig;
}

std::string find_broker()
{
    if (const char *p = getenv("FLUX_BROKER_PATH"); p && *p)
        return p;
    std::string dir = flux::self_dir();
    for (const std::string &cand : {dir + "/fluxd", dir + "/../fluxd/fluxd"}) {
        if (access(cand.c_str(), X_OK) == 0)
            return cand;
    }
    return FLUXD_PATH;
}

void remove_tree(const std::string &dir)
{
    pid_t pid = fork();
    if (pid == 0) {
        execlp("rm", "rm", "-rf", dir.c_str(), (char *)nullptr);
        _exit(127);
    }
    int status;
    if (pid > 0)
        waitpid(pid, &status, 0);
}

void usage(FILE *f)
{
    fprintf(f, "Usage: flux start [OPTIONS] [COMMAND [ARGS...]]\n"
               "  -s, --test-size=N         start N brokers on this host\n"
               "  -S, --setattr=NAME=VALUE  set a broker attribute (all ranks)\n"
               "  -c, --config-path=PATH    broker TOML config file or directory\n"
               "  -o, --broker-opts=OPTS    extra fluxd options, comma separated\n"
               "  -v, --verbose             show the broker command lines\n"
               "  -h, --help                this text\n");
}

[[noreturn]] int exec_or_die(std::vector<std::string> &args, bool verbose)
{
    if (verbose) {
        std::string line;
        for (const auto &a : args)
            line += (line.empty() ? "" : " ") + a;
        fprintf(stderr, "flux-start: %s\n", line.c_str());
    }
    std::vector<char *> av;
    for (auto &a : args)
        av.push_back(a.data());
    av.push_back(nullptr);
    execv(av[0], av.data());
    die(1, "flux: exec %s: %s", av[0], strerror(errno));
}

} // namespace

std::string broker_path()
{
    return find_broker();
}

/* flux broker [OPTIONS] [INITIAL-PROGRAM...]: run fluxd itself (one broker;
 * under a job it boots over PMI), as flux batch's jobs do. */
int cmd_broker(int argc, char **argv)
{
    std::vector<std::string> args = {find_broker()};
    for (int i = 1; i < argc; i++)
        args.push_back(argv[i]);
    exec_or_die(args, false);
}

int cmd_start(int argc, char **argv)
{
    static const struct option opts[] = {
        {"test-size", required_argument, nullptr, 's'},
        {"setattr", required_argument, nullptr, 'S'},
        {"config-path", required_argument, nullptr, 'c'},
        {"broker-opts", required_argument, nullptr, 'o'},
        {"verbose", no_argument, nullptr, 'v'},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    uint32_t size = 0;
    std::vector<std::string> broker_args;
    bool verbose = false;
    std::string config;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+s:S:c:o:vh", opts, nullptr)) != -1) {
        switch (c) {
            case 's':
                size = parse_u32_or_die("flux-start", "--test-size", optarg);
                if (size < 1 || size > 4096)
                    die(1, "flux-start: --test-size must be between 1 and 4096");
                break;
            case 'S':
                if (!strchr(optarg, '=') || optarg[0] == '=')
                    die(1, "flux-start: --setattr: expected NAME=VALUE, got '%s'", optarg);
                broker_args.push_back(std::string("--setattr=") + optarg);
                break;
            case 'c':
                config = optarg;
                broker_args.push_back(std::string("--config-path=") + optarg);
                break;
            case 'o': {
                std::string s = optarg;
                size_t start = 0;
                while (start < s.size()) {
                    size_t comma = s.find(',', start);
                    std::string opt = s.substr(start, comma == std::string::npos ? std::string::npos
                                                                                 : comma - start);
                    if (!opt.empty())
                        broker_args.push_back(opt);
                    if (comma == std::string::npos)
                        break;
                    start = comma + 1;
                }
                break;
            }
            case 'v':
                verbose = true;
                break;
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
    if (initial.empty()) {
        const char *sh = getenv("SHELL");
        initial.push_back(sh && *sh ? sh : "/bin/sh");
    }
    std::string broker = find_broker();
    /* A task of a job (or of srun/mpirun): one broker, booted over PMI-1
     * or PMIx by the job's other tasks' brokers (doc/design/pmi-boot.md). */
    bool pmi = getenv("PMI_FD") && *getenv("PMI_FD");
#ifdef HAVE_PMIX
    pmi = pmi || flux::pmix_server_in_env();
#endif
    if (size == 0 && config.empty() && pmi) {
        std::vector<std::string> args = {broker};
        args.insert(args.end(), broker_args.begin(), broker_args.end());
        args.push_back("--");
        args.insert(args.end(), initial.begin(), initial.end());
        return exec_or_die(args, verbose);
    }
    bool config_boot = size == 0 && !config.empty();
    /* Started as one of many processes by another launcher that gave no
     * PMI-1 fd: say so rather than boot N unrelated instances in silence. */
    if (size == 0 && !config_boot) {
        if (std::string who = foreign_launcher(); !who.empty())
            fprintf(stderr,
                    "flux-start: warning: %s, but without PMI_FD or a PMIx server: this"
                    " process starts an instance of size 1 on its own (brokers join over"
                    " PMI-1 or PMIx: flux run flux start, srun --mpi=pmi2|pmix, mpirun; or"
                    " from a config: -c)\n",
                    who.c_str());
    }
    if (size == 0)
        size = 1;

    std::string dir;
    if (!config_boot) {
        const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        std::string tmpl = std::string(tmp) + "/flux-XXXXXX";
        if (!mkdtemp(tmpl.data()))
            die(1, "flux-start: cannot create a directory in %s: %s", tmp, strerror(errno));
        dir = tmpl;
        chmod(dir.c_str(), 0755);
    }

    struct sigaction sa = {};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGHUP, &sa, nullptr);
    struct sigaction ign = {};
    ign.sa_handler = SIG_IGN;
    struct sigaction old_int;
    sigaction(SIGINT, &ign, &old_int);

    std::vector<pid_t> pids(config_boot ? 1 : size, -1);
    for (uint32_t r = 0; r < pids.size(); r++) {
        std::vector<std::string> args = {broker};
        if (!config_boot) {
            args.push_back("--test-size=" + std::to_string(size));
            args.push_back("--test-rank=" + std::to_string(r));
            args.push_back("--test-dir=" + dir);
        }
        args.insert(args.end(), broker_args.begin(), broker_args.end());
        if (r == 0) {
            args.push_back("--");
            args.insert(args.end(), initial.begin(), initial.end());
        }
        if (verbose) {
            std::string line;
            for (const auto &a : args)
                line += (line.empty() ? "" : " ") + a;
            fprintf(stderr, "flux-start: %s\n", line.c_str());
        }
        pid_t pid = fork();
        if (pid < 0)
            die(1, "flux-start: fork: %s", strerror(errno));
        if (pid == 0) {
            sigaction(SIGINT, &old_int, nullptr);
            std::vector<char *> av;
            for (auto &a : args)
                av.push_back(a.data());
            av.push_back(nullptr);
            execv(av[0], av.data());
            fprintf(stderr, "flux-start: exec %s: %s\n", av[0], strerror(errno));
            _exit(127);
        }
        pids[r] = pid;
    }

    int exit_code = 0;
    size_t running = pids.size();
    bool rank0_done = false;
    bool failed = false;
    time_t kill_deadline = 0;
    while (running > 0) {
        if (pending_signal) {
            for (pid_t p : pids) {
                if (p > 0)
                    kill(p, SIGTERM);
            }
            pending_signal = 0;
        }
        int status;
        pid_t pid = waitpid(-1, &status, kill_deadline ? WNOHANG : 0);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pid == 0) {
            if (time(nullptr) >= kill_deadline) {
                for (pid_t p : pids) {
                    if (p > 0)
                        kill(p, SIGKILL);
                }
                kill_deadline = 0;
            }
            else
                usleep(20000);
            continue;
        }
        for (uint32_t r = 0; r < pids.size(); r++) {
            if (pids[r] != pid)
                continue;
            pids[r] = -1;
            running--;
            int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            if (r == 0) {
                /* Rank 0 leaves only after its children have: whoever is
                 * left never joined or is stuck.  End them. */
                if (!failed) /* keep the reason a broker failed, not its SIGTERM */
                    exit_code = code;
                rank0_done = true;
                for (pid_t p : pids) {
                    if (p > 0)
                        kill(p, SIGTERM);
                }
            }
            else if (!rank0_done && WIFEXITED(status) && code != 0 && !failed) {
                /* A broker failed (bad config, say) before the instance ended.
                 * One killed by a signal is the overlay's to report. */
                fprintf(stderr, "flux-start: broker rank %u exited with status %d\n", r, code);
                failed = true;
                exit_code = 1;
                for (pid_t p : pids) {
                    if (p > 0)
                        kill(p, SIGTERM);
                }
            }
            if ((rank0_done || failed) && running > 0 && !kill_deadline)
                kill_deadline = time(nullptr) + 10;
        }
    }
    if (!dir.empty())
        remove_tree(dir);
    return failed && exit_code == 0 ? 1 : exit_code;
}

} // namespace fluxcmd
