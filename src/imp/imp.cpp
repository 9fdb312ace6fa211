/* flux-imp - the setuid launcher: start a job's shell as the job's user,
 * and signal a job's processes, for an allowed instance owner.
 *
 *   flux-imp exec SHELL [ARGS...]   J on stdin (its first line); the rest
 *                                   of stdin is left for SHELL
 *   flux-imp kill SIGNAL PID        PID < 0: the process group -PID
 *   flux-imp version
 *
 * Configuration: the *.toml files of IMP_CONFIG_DIR (src/imp/imp_config.h).  When not
 * setuid (real uid == effective uid) the environment may move it
 * (FLUX_IMP_CONFIG_DIR) and the munge socket (FLUX_IMP_MUNGE_SOCKET), for
 * tests; a setuid IMP reads no environment variable at all.
 *
 * Built with -fno-exceptions: no exception exists to cross the privilege
 * boundary.  Every refusal prints "flux-imp: REASON" on stderr and exits 1.
 * See doc/man/man8/flux-imp.8 and doc/design/imp.md.
 */
#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <string>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include <munge.h>

#include "imp_config.h"
#include "proc_tree.h"
#include "signed_j.h"

namespace {

constexpr size_t j_max = 16 * 1024 * 1024;

[[noreturn]] void refuse(const std::string &why)
{
    fprintf(stderr, "flux-imp: %s\n", why.c_str());
    exit(1);
}

/* Standard descriptors 0-2 must exist, or a file opened later (config)
 * could become one. */
void ensure_std_fds()
{
    for (int fd = 0; fd < 3; fd++) {
        if (fcntl(fd, F_GETFD) < 0) {
            int n = open("/dev/null", O_RDWR);
            if (n < 0 || (n != fd && dup2(n, fd) < 0))
                _exit(1);
        }
    }
}

struct Context {
    bool setuid_mode = false; /* real uid != effective uid (or gids) */
    uid_t caller = 0;
    std::string caller_name;
    imp::ImpConfig cfg;
    std::vector<std::string> shells_real; /* allowed shells, resolved */
    std::string munge_socket;
    std::string flux_uri; /* the broker the shell connects to */
};

std::string resolve(const std::string &path)
{
    char buf[PATH_MAX];
    if (!realpath(path.c_str(), buf))
        return "";
    return buf;
}

void load_context(Context &ctx)
{
    ctx.setuid_mode = getuid() != geteuid() || getgid() != getegid();
    ctx.caller = getuid();
    std::string dir = IMP_CONFIG_DIR;
    /* FLUX_URI is the one variable passed on, checked: a local:// path. */
    if (const char *u = getenv("FLUX_URI"); u && strncmp(u, "local:///", 9) == 0
                                            && strlen(u) < PATH_MAX && !strchr(u, '\n'))
        ctx.flux_uri = u;
    if (!ctx.setuid_mode) {
        if (const char *d = getenv("FLUX_IMP_CONFIG_DIR"); d && *d)
            dir = d;
        if (const char *s = getenv("FLUX_IMP_MUNGE_SOCKET"); s && *s)
            ctx.munge_socket = s;
    }
    else if (clearenv() != 0)
        refuse("cannot clear the environment");
    std::string err;
    if (!imp::imp_config_load(dir, ctx.setuid_mode, ctx.cfg, err))
        refuse(err);
    if (ctx.munge_socket.empty())
        ctx.munge_socket = ctx.cfg.munge_socket;
    struct passwd *pw = getpwuid(ctx.caller);
    if (!pw)
        refuse("caller uid " + std::to_string(ctx.caller) + " has no passwd entry");
    ctx.caller_name = pw->pw_name;
    const auto &users = ctx.cfg.allowed_users;
    if (std::find(users.begin(), users.end(), ctx.caller_name) == users.end())
        refuse("caller " + ctx.caller_name + " (uid " + std::to_string(ctx.caller)
               + ") is not in exec.allowed-users");
    for (const std::string &s : ctx.cfg.allowed_shells) {
        std::string r = resolve(s);
        if (!r.empty())
            ctx.shells_real.push_back(r);
    }
}

/* The first line of stdin (or all of it up to EOF).  One byte at a time so
 * that nothing past the newline is consumed: it is the shell's input. */
std::string read_j()
{
    std::string j;
    char c;
    for (;;) {
        ssize_t n = read(STDIN_FILENO, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            refuse(std::string("reading J from stdin: ") + strerror(errno));
        if (n == 0 || c == '\n')
            break;
        if (j.size() >= j_max)
            refuse("J on stdin is longer than 16 MiB");
        j.push_back(c);
    }
    if (!j.empty() && j.back() == '\r')
        j.pop_back();
    if (j.empty())
        refuse("no J on stdin");
    return j;
}

/* Verify J's signature; returns the user to run as. */
uint32_t verify_j(const Context &ctx, const std::string &text)
{
    imp::SignedJ j;
    std::string err;
    if (!imp::signed_j_parse(text, j, err))
        refuse(err);
    if (j.mechanism == "none") {
        if (j.userid != ctx.caller)
            refuse("J: mechanism none is accepted only for the caller's own uid ("
                   + std::to_string(ctx.caller) + "), not uid " + std::to_string(j.userid));
        return j.userid;
    }
    munge_ctx_t mctx = munge_ctx_create();
    if (!mctx)
        refuse("munge: cannot create a context");
    if (!ctx.munge_socket.empty()
        && munge_ctx_set(mctx, MUNGE_OPT_SOCKET, ctx.munge_socket.c_str()) != EMUNGE_SUCCESS)
        refuse("munge: cannot use socket " + ctx.munge_socket);
    void *buf = nullptr;
    int len = 0;
    uid_t uid = (uid_t)-1;
    gid_t gid = (gid_t)-1;
    munge_err_t e = munge_decode(j.sig.c_str(), mctx, &buf, &len, &uid, &gid);
    std::string merr = munge_ctx_strerror(mctx) ? munge_ctx_strerror(mctx) : munge_strerror(e);
    munge_ctx_destroy(mctx);
    /* Replayed and expired credentials still authenticate payload and uid:
     * job-ingest accepted this J earlier, and each shell of a job decodes it. */
    if (e != EMUNGE_SUCCESS && e != EMUNGE_CRED_REPLAYED && e != EMUNGE_CRED_EXPIRED) {
        free(buf);
        refuse("J: munge credential refused: " + merr);
    }
    bool same = buf && (size_t)len == j.signed_part.size()
                && memcmp(buf, j.signed_part.data(), (size_t)len) == 0;
    free(buf);
    if (!same)
        refuse("J: the munge credential does not sign this header and payload (tampered J)");
    if (uid != j.userid)
        refuse("J: header userid " + std::to_string(j.userid)
               + " differs from the munge credential's uid " + std::to_string(uid));
    return j.userid;
}

/* Become UID for good: groups, gid, uid, then check root cannot return. */
void become_user(const struct passwd *pw)
{
    if (initgroups(pw->pw_name, pw->pw_gid) < 0)
        refuse(std::string("initgroups: ") + strerror(errno));
    if (setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0)
        refuse(std::string("setresgid: ") + strerror(errno));
    if (setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
        refuse(std::string("setresuid: ") + strerror(errno));
    uid_t r, e, s;
    gid_t rg, eg, sg;
    if (getresuid(&r, &e, &s) < 0 || getresgid(&rg, &eg, &sg) < 0 || r != pw->pw_uid
        || e != pw->pw_uid || s != pw->pw_uid || rg != pw->pw_gid || eg != pw->pw_gid
        || sg != pw->pw_gid)
        refuse("privilege drop did not take effect");
    if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0))
        refuse("privilege drop is reversible: refusing to continue");
}

int cmd_exec(Context &ctx, int argc, char **argv)
{
    if (argc < 1)
        refuse("usage: flux-imp exec SHELL [ARGS...]");
    std::string shell = resolve(argv[0]);
    if (shell.empty())
        refuse(std::string("shell ") + argv[0] + ": " + strerror(errno));
    if (std::find(ctx.shells_real.begin(), ctx.shells_real.end(), shell) == ctx.shells_real.end())
        refuse(std::string("shell ") + argv[0] + " is not in exec.allowed-shells");
    std::string j = read_j();
    uint32_t userid = verify_j(ctx, j);
    bool privileged = geteuid() == 0;
    if (!privileged) {
        if (!ctx.cfg.allow_unprivileged_exec)
            refuse("flux-imp is not installed setuid root (exec.allow-unprivileged-exec is"
                   " false)");
        if (userid != ctx.caller)
            refuse("not privileged: cannot run a job of uid " + std::to_string(userid)
                   + " as uid " + std::to_string(ctx.caller));
    }
    else if (userid == 0 && ctx.caller != 0)
        refuse("J: will not run a job as root");
    struct passwd *pw = getpwuid(userid);
    if (!pw)
        refuse("J: uid " + std::to_string(userid) + " has no passwd entry");
    std::string name = pw->pw_name, home = pw->pw_dir, login_shell = pw->pw_shell;
    const std::string &uri = ctx.flux_uri;
    if (privileged && (getuid() != userid || geteuid() != userid))
        become_user(pw);
    /* The shell's environment: who it runs as, and where its broker is. */
    std::vector<std::string> env = {"HOME=" + home, "USER=" + name, "LOGNAME=" + name,
                                    "SHELL=" + login_shell,
                                    "PATH=/usr/local/bin:/usr/bin:/bin"};
    if (!uri.empty())
        env.push_back("FLUX_URI=" + uri);
    std::vector<char *> envp;
    for (std::string &e : env)
        envp.push_back(e.data());
    envp.push_back(nullptr);
    std::vector<char *> args;
    args.push_back(shell.data());
    for (int i = 1; i < argc; i++)
        args.push_back(argv[i]);
    args.push_back(nullptr);
    for (int fd = 3; fd < 1024; fd++)
        (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    execve(shell.c_str(), args.data(), envp.data());
    refuse("exec " + shell + ": " + strerror(errno));
}

int cmd_kill(Context &ctx, int argc, char **argv)
{
    if (argc != 2)
        refuse("usage: flux-imp kill SIGNAL PID");
    char *end;
    errno = 0;
    long sig = strtol(argv[0], &end, 10);
    if (errno || *end || end == argv[0] || sig < 0 || sig >= 65)
        refuse(std::string("kill: invalid signal '") + argv[0] + "'");
    errno = 0;
    long pid = strtol(argv[1], &end, 10);
    if (errno || *end || end == argv[1] || pid == 0 || pid == -1 || pid > INT_MAX
        || pid < -(long)INT_MAX)
        refuse(std::string("kill: invalid pid '") + argv[1] + "'");
    pid_t target = (pid_t)(pid < 0 ? -pid : pid);
    if (pid < 0 && getpgid(target) != target)
        refuse("kill: process group " + std::to_string(target) + " has no leader");
    std::string why;
    if (!imp::proc_in_job(target, ctx.caller, ctx.shells_real, why))
        refuse("kill: " + why);
    if (kill((pid_t)pid, (int)sig) < 0)
        refuse("kill " + std::to_string(pid) + ": " + strerror(errno));
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    ensure_std_fds();
    umask(022);
    if (argc < 2)
        refuse("usage: flux-imp exec SHELL [ARGS...] | kill SIGNAL PID | version");
    std::string cmd = argv[1];
    if (cmd == "version") {
        printf("flux-imp config %s\n", IMP_CONFIG_DIR);
        return 0;
    }
    if (cmd != "exec" && cmd != "kill")
        refuse("unknown command '" + cmd + "' (expected exec, kill or version)");
    Context ctx;
    load_context(ctx);
    if (cmd == "exec")
        return cmd_exec(ctx, argc - 2, argv + 2);
    return cmd_kill(ctx, argc - 2, argv + 2);
}
