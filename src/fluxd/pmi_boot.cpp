/* pmi_boot.cpp - PMI boot: a small client of the PMI-1 simple wire
 * protocol (init, get_my_kvsname, put, barrier_in, get, finalize) or,
 * under a PMIx launcher, the PMIx client of pmix_boot.so (dlopened); the
 * overlay endpoint exchange over either; and the enclosing job's R from
 * the parent instance.
 */
#include "config.h"

#include <arpa/inet.h>
#include <cerrno>
#include <dlfcn.h>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <poll.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <vector>

#include <flux/core.h>
#include <flux/job.h>
#include <flux/kvs.h>

#include "launcher/launcher.h"
#include "pmi_boot.h"
#include "pmix_boot.h"
#include "rv1/rv1.h"
#include "selfexe/selfexe.h"
#include "topology.h"

namespace fluxd {

namespace {

double now_mono()
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

class PmiClient {
  public:
    PmiClient(int fd, double timeout) : fd_(fd), timeout_(timeout) {}

    /* Send CMD, read one line; the line's fields, or an error naming CMD. */
    flux::Result<std::map<std::string, std::string>> call(const std::string &cmd,
                                                          const std::string &expect)
    {
        std::string line = cmd + "\n";
        const char *p = line.data();
        size_t left = line.size();
        while (left > 0) {
            ssize_t n = write(fd_, p, left);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return flux::make_error(errno, "PMI " + name(cmd) + ": write: " + strerror(errno));
            p += n;
            left -= (size_t)n;
        }
        std::string rsp;
        if (auto r = read_line(cmd, &rsp); !r)
            return r.error();
        std::map<std::string, std::string> fields;
        size_t pos = 0;
        while (pos < rsp.size()) {
            size_t sp = rsp.find(' ', pos);
            std::string tok = rsp.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos);
            size_t eq = tok.find('=');
            if (eq != std::string::npos)
                fields[tok.substr(0, eq)] = tok.substr(eq + 1);
            if (sp == std::string::npos)
                break;
            pos = sp + 1;
        }
        if (fields["cmd"] != expect)
            return flux::make_error(EPROTO, "PMI " + name(cmd) + ": unexpected answer '" + rsp + "'");
        if (fields["rc"] != "0")
            return flux::make_error(EPROTO, "PMI " + name(cmd) + " failed: " + rsp);
        return fields;
    }

  private:
    static std::string name(const std::string &cmd)
    {
        size_t sp = cmd.find(' ');
        return cmd.substr(4, sp == std::string::npos ? std::string::npos : sp - 4);
    }

    flux::Result<void> read_line(const std::string &cmd, std::string *out)
    {
        double deadline = now_mono() + timeout_;
        for (;;) {
            size_t nl = buf_.find('\n');
            if (nl != std::string::npos) {
                *out = buf_.substr(0, nl);
                buf_.erase(0, nl + 1);
                return {};
            }
            if (buf_.size() > 65536)
                return flux::make_error(EPROTO, "PMI " + name(cmd) + ": answer too long");
            double left = deadline - now_mono();
            if (left <= 0)
                return flux::make_error(ETIMEDOUT, "PMI " + name(cmd) + ": no answer within "
                                                       + std::to_string((int)timeout_)
                                                       + "s (broker.boot-timeout)");
            struct pollfd pfd = {fd_, POLLIN, 0};
            int rc = poll(&pfd, 1, (int)std::ceil(left * 1000));
            if (rc < 0 && errno == EINTR)
                continue;
            if (rc <= 0)
                continue;
            char tmp[4096];
            ssize_t n = read(fd_, tmp, sizeof(tmp));
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return flux::make_error(errno, "PMI " + name(cmd) + ": read: " + strerror(errno));
            if (n == 0)
                return flux::make_error(ECONNRESET, "PMI " + name(cmd)
                                                        + ": the PMI server closed the connection");
            buf_.append(tmp, (size_t)n);
        }
    }

    int fd_;
    double timeout_;
    std::string buf_;
};

flux::Result<uint32_t> env_u32(const char *var)
{
    const char *s = getenv(var);
    if (!s || !*s)
        return flux::make_error(EINVAL, std::string("PMI boot: ") + var + " is not set");
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v > 0xfffffff0UL)
        return flux::make_error(EINVAL, std::string("PMI boot: ") + var + "='" + s
                                            + "' is not a non-negative integer");
    return (uint32_t)v;
}

/* The IPv4 address of interface IFNAME (any up, non-loopback interface
 * when IFNAME is empty); "" if none. */
std::string interface_addr(const std::string &ifname)
{
    struct ifaddrs *ifs = nullptr;
    if (getifaddrs(&ifs) < 0)
        return "";
    std::string found;
    for (struct ifaddrs *i = ifs; i && found.empty(); i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
            continue;
        if (ifname.empty() ? (i->ifa_flags & IFF_LOOPBACK) || !(i->ifa_flags & IFF_UP)
                           : ifname != i->ifa_name)
            continue;
        char buf[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, buf, sizeof(buf));
        found = buf;
    }
    freeifaddrs(ifs);
    return found;
}

/* The interface of the IPv4 default route (/proc/net/route); "" if none. */
std::string default_route_interface()
{
    FILE *f = fopen("/proc/net/route", "r");
    if (!f)
        return "";
    char line[512], ifname[64];
    unsigned long dest, gw, flags;
    std::string found;
    while (found.empty() && fgets(line, sizeof(line), f)) {
        if (sscanf(line, "%63s %lx %lx %lx", ifname, &dest, &gw, &flags) == 4 && dest == 0
            && (flags & 1 /* RTF_UP */))
            found = ifname;
    }
    fclose(f);
    return found;
}

/* The IPv4 address of the default route's interface; "" if none. */
std::string default_route_addr()
{
    std::string ifname = default_route_interface();
    return ifname.empty() ? "" : interface_addr(ifname);
}

/* An address other brokers can reach this host on: that of the default
 * route's interface, else of the first up, non-loopback interface. */
flux::Result<std::string> routable_addr()
{
    std::string addr = default_route_addr();
    if (addr.empty())
        addr = interface_addr("");
    if (addr.empty())
        return flux::make_error(ENOENT, "PMI boot: brokers on other hosts or network namespaces,"
                                        " and no IPv4 interface but loopback here (set"
                                        " tbon.interface-hint)");
    return addr;
}

/* The IPv4 address to listen on: HINT as an address, "default-route",
 * else the address of the interface named HINT. */
flux::Result<std::string> listen_addr(const std::string &hint)
{
    struct in_addr a;
    if (inet_pton(AF_INET, hint.c_str(), &a) == 1)
        return hint;
    if (hint == "default-route") {
        std::string addr = default_route_addr();
        if (addr.empty())
            return flux::make_error(ENOENT, "tbon.interface-hint: no IPv4 default route here");
        return addr;
    }
    std::string found = interface_addr(hint);
    if (found.empty())
        return flux::make_error(ENOENT, "tbon.interface-hint: '" + hint
                                            + "' is neither an IPv4 address nor an interface"
                                              " with one");
    return found;
}

/* Which kernel and network namespace this broker runs in: brokers with
 * the same id reach each other on loopback. */
std::string net_id()
{
    std::string id;
    if (FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r")) {
        char buf[64] = "";
        if (fgets(buf, sizeof(buf), f))
            id = buf;
        fclose(f);
        while (!id.empty() && (id.back() == '\n' || id.back() == ' '))
            id.pop_back();
    }
    if (id.empty()) {
        char host[256] = "";
        gethostname(host, sizeof(host) - 1);
        id = host;
    }
    struct stat st;
    if (stat("/proc/self/ns/net", &st) == 0)
        id += ":" + std::to_string((unsigned long long)st.st_ino);
    return id;
}

/* What a boot needs of a PMI: publish this rank's key, wait for all, read
 * another rank's key. */
class BootPmi {
  public:
    virtual ~BootPmi() = default;
    virtual flux::Result<void> put(uint32_t rank, const std::string &key,
                                   const std::string &value) = 0;
    virtual flux::Result<void> barrier() = 0;
    virtual flux::Result<std::string> get(uint32_t rank, const std::string &key) = 0;
    virtual flux::Result<void> finalize() = 0;
};

/* PMI-1 on PMI_FD: one global key space, so keys carry the rank. */
class SimpleBoot : public BootPmi {
  public:
    SimpleBoot(int fd, double timeout) : fd_(fd), pmi_(fd, timeout) {}
    flux::Result<void> init()
    {
        if (auto r = pmi_.call("cmd=init pmi_version=1 pmi_subversion=1", "response_to_init"); !r)
            return r.error();
        return {};
    }
    flux::Result<void> put(uint32_t rank, const std::string &key, const std::string &value) override
    {
        auto kvs = kvsname();
        if (!kvs)
            return kvs.error();
        if (auto r = pmi_.call("cmd=put kvsname=" + *kvs + " key=" + key + "."
                                   + std::to_string(rank) + " value=" + value,
                               "put_result");
            !r)
            return r.error();
        return {};
    }
    flux::Result<void> barrier() override
    {
        if (auto r = pmi_.call("cmd=barrier_in", "barrier_out"); !r)
            return r.error();
        return {};
    }
    flux::Result<std::string> get(uint32_t rank, const std::string &key) override
    {
        auto kvs = kvsname();
        if (!kvs)
            return kvs.error();
        auto v = pmi_.call("cmd=get kvsname=" + *kvs + " key=" + key + "." + std::to_string(rank),
                           "get_result");
        if (!v)
            return v.error();
        return (*v)["value"];
    }
    flux::Result<void> finalize() override
    {
        if (auto r = pmi_.call("cmd=finalize", "finalize_ack"); !r)
            return r.error();
        close(fd_);
        return {};
    }

  private:
    flux::Result<std::string> kvsname()
    {
        if (kvsname_.empty()) {
            auto kvs = pmi_.call("cmd=get_my_kvsname", "my_kvsname");
            if (!kvs)
                return kvs.error();
            kvsname_ = (*kvs)["kvsname"];
        }
        return kvsname_;
    }
    int fd_;
    PmiClient pmi_;
    std::string kvsname_;
};

#ifdef HAVE_PMIX
/* PMIx through pmix_boot.so: keys are per process. */
class PmixBoot : public BootPmi {
  public:
    explicit PmixBoot(double timeout) : timeout_(timeout) {}
    /* Never unloaded: libpmix set libevent's thread callbacks (through
     * libevent_pthreads), which the broker's own event bases then use. */
    ~PmixBoot() override
    {
        if (ops_)
            ops_->finalize();
    }
    flux::Result<void> init(uint32_t *rank, uint32_t *size)
    {
        /* Run from the build tree: the module beside the broker. */
        std::string path = flux::self_dir() + "/.libs/pmix_boot.so";
        if (access(path.c_str(), R_OK) != 0)
            path = FLUX_PKGLIB_DIR "/pmix_boot.so";
        dso_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
        if (!dso_)
            return flux::make_error(ENOENT, std::string("PMIx boot: ") + dlerror());
        auto f = (fluxd_pmix_boot_ops_f)dlsym(dso_, FLUXD_PMIX_BOOT_SYMBOL);
        if (!f || !(ops_ = f()))
            return flux::make_error(ENOENT, "PMIx boot: " + path + " has no "
                                                + FLUXD_PMIX_BOOT_SYMBOL);
        if (ops_->init(rank, size, err_, sizeof(err_)) < 0)
            return fail();
        return {};
    }
    flux::Result<void> put(uint32_t, const std::string &key, const std::string &value) override
    {
        if (ops_->put(key.c_str(), value.c_str(), err_, sizeof(err_)) < 0)
            return fail();
        return {};
    }
    flux::Result<void> barrier() override
    {
        if (ops_->fence(timeout_, err_, sizeof(err_)) < 0)
            return fail();
        return {};
    }
    flux::Result<std::string> get(uint32_t rank, const std::string &key) override
    {
        char buf[1024];
        if (ops_->get(rank, key.c_str(), buf, sizeof(buf), err_, sizeof(err_)) < 0)
            return fail();
        return std::string(buf);
    }
    flux::Result<void> finalize() override
    {
        ops_->finalize();
        return {};
    }

  private:
    flux::Error fail() const { return flux::make_error(EPROTO, std::string("PMIx boot: ") + err_); }
    double timeout_;
    void *dso_ = nullptr;
    const fluxd_pmix_ops *ops_ = nullptr;
    char err_[512] = "";
};
#endif

} // namespace

bool pmi_boot_wanted()
{
    const char *fd = getenv("PMI_FD");
    if (fd && *fd)
        return true;
#ifdef HAVE_PMIX
    return flux::pmix_server_in_env();
#else
    return false;
#endif
}

flux::Result<BootInfo> boot_from_pmi(uint32_t fanout, const std::string &hint, double timeout)
{
    std::unique_ptr<BootPmi> pmi;
    BootInfo b;
    const char *pmi_fd = getenv("PMI_FD");
    if (pmi_fd && *pmi_fd) {
        auto fd = env_u32("PMI_FD");
        if (!fd)
            return fd.error();
        if (fcntl((int)*fd, F_GETFD) < 0)
            return flux::make_error(EBADF, "PMI boot: PMI_FD=" + std::to_string(*fd)
                                               + " is not an open file descriptor");
        auto rank = env_u32("PMI_RANK");
        if (!rank)
            return rank.error();
        auto size = env_u32("PMI_SIZE");
        if (!size)
            return size.error();
        if (*size < 1 || *rank >= *size)
            return flux::make_error(EINVAL, "PMI boot: PMI_RANK=" + std::to_string(*rank)
                                                + " is not below PMI_SIZE=" + std::to_string(*size));
        auto simple = std::make_unique<SimpleBoot>((int)*fd, timeout);
        if (auto r = simple->init(); !r)
            return r.error();
        b.method = "pmi";
        b.rank = *rank;
        b.size = *size;
        pmi = std::move(simple);
    }
    else {
#ifdef HAVE_PMIX
        auto pmix = std::make_unique<PmixBoot>(timeout);
        if (auto r = pmix->init(&b.rank, &b.size); !r)
            return r.error();
        b.method = "pmix";
        pmi = std::move(pmix);
#else
        return flux::make_error(ENOSYS, "PMI boot: PMI_FD is not set (this broker was built "
                                        "without OpenPMIx)");
#endif
    }
    if (b.size < 1 || b.rank >= b.size)
        return flux::make_error(EINVAL, "PMI boot: rank " + std::to_string(b.rank)
                                            + " is not below size " + std::to_string(b.size));
    b.connect_uri.assign(b.size, "");
    if (b.size > 1) {
        std::vector<uint32_t> children = tree_children(b.rank, fanout, b.size);
        bool has_children = !children.empty();
        /* With no hint, a broker whose children all run on its host, in
         * its network namespace, listens on loopback; otherwise on an
         * address they can reach (doc/design/pmi-boot-address.md).  That
         * takes one more exchange: every broker's net_id(). */
        flux::Result<std::string> addr = std::string("127.0.0.1");
        if (!hint.empty())
            addr = listen_addr(hint);
        else {
            std::string me = net_id();
            if (auto r = pmi->put(b.rank, "flux.netid", me); !r)
                return r.error();
            if (auto r = pmi->barrier(); !r)
                return r.error();
            for (uint32_t c : children) {
                auto v = pmi->get(c, "flux.netid");
                if (!v)
                    return v.error();
                if (*v != me) {
                    addr = routable_addr();
                    break;
                }
            }
        }
        if (!addr)
            return addr.error();
        if (has_children) {
            int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
            struct sockaddr_in sin = {};
            sin.sin_family = AF_INET;
            inet_pton(AF_INET, addr->c_str(), &sin.sin_addr);
            socklen_t len = sizeof(sin);
            if (s < 0 || bind(s, (struct sockaddr *)&sin, sizeof(sin)) < 0
                || listen(s, 1024) < 0 || getsockname(s, (struct sockaddr *)&sin, &len) < 0) {
                int e = errno;
                if (s >= 0)
                    close(s);
                return flux::make_error(e, "PMI boot: cannot listen on " + *addr + ": "
                                               + strerror(e));
            }
            b.listen_fd = s;
            b.bind_uri = "tcp://" + *addr + ":" + std::to_string(ntohs(sin.sin_port));
            if (auto r = pmi->put(b.rank, "flux.tbon", b.bind_uri); !r)
                return r.error();
        }
        if (auto r = pmi->barrier(); !r)
            return r.error();
        if (b.rank > 0) {
            uint32_t parent = tree_parent(b.rank, fanout);
            auto v = pmi->get(parent, "flux.tbon");
            if (!v)
                return v.error();
            b.connect_uri[parent] = *v;
        }
    }
    if (auto r = pmi->finalize(); !r)
        return r.error();
    return b;
}

flux::Result<std::string> parent_job_R(const std::string &parent_uri, const std::string &jobid,
                                       uint32_t size)
{
    flux_error_t error;
    flux_t *h = flux_open_ex(parent_uri.c_str(), 0, &error);
    if (!h)
        return flux::make_error(EHOSTUNREACH, "parent instance " + parent_uri + ": " + error.text);
    flux_jobid_t id;
    char key[128];
    if (flux_job_id_parse(jobid.c_str(), &id) < 0 || flux_job_kvs_key(key, sizeof(key), id, "R") < 0) {
        flux_close(h);
        return flux::make_error(EINVAL, "FLUX_JOB_ID='" + jobid + "' is not a job id");
    }
    flux_future_t *f = flux_kvs_lookup(h, nullptr, 0, key);
    const char *text = nullptr;
    std::string out;
    int err = 0;
    if (!f || flux_future_wait_for(f, 30.) < 0 || flux_kvs_lookup_get(f, &text) < 0 || !text)
        err = errno ? errno : EIO;
    else
        out = text;
    flux_future_destroy(f);
    flux_close(h);
    if (err)
        return flux::make_error(err, "job " + jobid + ": cannot read its R from the parent: "
                                         + strerror(err));
    auto R = flux::Rv1::decode(out);
    if (!R)
        return flux::make_error(EINVAL, "job " + jobid + ": R: " + R.error().text);
    /* The i-th rank of the allocation is this instance's rank i (one
     * broker per node, in the job's node order). */
    flux::Rv1 child;
    child.starttime = R->starttime;
    child.expiration = R->expiration;
    uint32_t i = 0;
    for (const auto &[rank, rr] : R->by_rank()) {
        if (i >= size)
            break;
        child.add_rank(i, rr.hostname, rr.cores(), rr.gpus());
        for (const auto &[type, ids] : rr.children) {
            if (type != "core" && type != "gpu")
                child.set_child(i, type, ids);
        }
        i++;
    }
    if (i < size)
        return flux::make_error(EINVAL, "job " + jobid + ": its R has " + std::to_string(i)
                                            + " node(s) for " + std::to_string(size)
                                            + " brokers (run one broker per node)");
    auto enc = child.encode();
    if (!enc)
        return enc.error();
    return *enc;
}

} // namespace fluxd

namespace fluxd {

flux::Result<void> parent_post_uri(const std::string &parent_uri, const std::string &jobid,
                                   const std::string &uri)
{
    flux_jobid_t id;
    char key[128];
    if (flux_job_id_parse(jobid.c_str(), &id) < 0
        || flux_job_kvs_key(key, sizeof(key), id, "guest.uri") < 0)
        return flux::make_error(EINVAL, "jobid '" + jobid + "' is not a job id");
    flux_error_t error;
    flux_t *h = flux_open_ex(parent_uri.c_str(), 0, &error);
    if (!h)
        return flux::make_error(EHOSTUNREACH, "parent instance " + parent_uri + ": " + error.text);
    flux_kvs_txn_t *txn = flux_kvs_txn_create();
    flux_future_t *f = nullptr;
    int err = 0;
    if (!txn || flux_kvs_txn_put_string(txn, 0, key, uri.c_str()) < 0
        || !(f = flux_kvs_commit(h, nullptr, 0, txn)) || flux_future_wait_for(f, 10.) < 0
        || flux_rpc_get(f, nullptr) < 0)
        err = errno ? errno : EIO;
    flux_future_destroy(f);
    flux_kvs_txn_destroy(txn);
    flux_close(h);
    if (err)
        return flux::make_error(err, std::string("cannot post this instance's URI to the parent: ")
                                         + strerror(err));
    return {};
}

} // namespace fluxd
