/* cgroup.cpp - a cgroup per job for job-exec (see cgroup.h and
 * doc/design/cgroups.md).  Kernel interfaces used: cgroup v1 memory
 * (memory.limit_in_bytes, memory.memsw.limit_in_bytes, memory.oom_control's
 * oom_kill counter), cpuset (cpuset.cpus, cpuset.mems), pids (pids.max),
 * freezer (freezer.state, to kill without a fork race); cgroup v2
 * (cgroup.subtree_control, memory.max, memory.swap.max, memory.events'
 * oom_kill, cpuset.cpus, pids.max, cgroup.kill).
 */
#include "cgroup.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <optional>
#include <sstream>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

namespace fluxd {

namespace {

const char *const v1_controllers[] = {"memory", "cpuset", "pids", "freezer"};
const char *const v2_controllers[] = {"memory", "cpuset", "pids"};

bool exists(const std::string &path)
{
    struct stat sb;
    return stat(path.c_str(), &sb) == 0;
}

/* The whole of a (small) cgroup file, or nullopt. */
std::optional<std::string> read_file(const std::string &path)
{
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return std::nullopt;
    std::string s;
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        s.append(buf, (size_t)n);
    close(fd);
    if (n < 0)
        return std::nullopt;
    return s;
}

std::string trim(std::string s)
{
    while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
        s.pop_back();
    return s;
}

/* One write(2) of TEXT: cgroup files take a value per write. */
flux::Result<void> write_file(const std::string &path, const std::string &text)
{
    int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return flux::make_error(e, "cgroup: cannot open " + path + ": " + strerror(e));
    }
    ssize_t n = write(fd, text.data(), text.size());
    int e = errno;
    close(fd);
    if (n < 0)
        return flux::make_error(e, "cgroup: cannot write '" + text + "' to " + path + ": "
                                       + strerror(e));
    return flux::Result<void>();
}

std::vector<pid_t> procs_of(const std::string &dir)
{
    std::vector<pid_t> v;
    auto text = read_file(dir + "/cgroup.procs");
    if (!text)
        return v;
    std::istringstream in(*text);
    long p;
    while (in >> p) {
        if (p > 0)
            v.push_back((pid_t)p);
    }
    return v;
}

std::vector<std::string> subdirs(const std::string &dir, const std::string &prefix)
{
    std::vector<std::string> v;
    DIR *d = opendir(dir.c_str());
    if (!d)
        return v;
    while (struct dirent *e = readdir(d)) {
        if (e->d_type == DT_DIR && strncmp(e->d_name, prefix.c_str(), prefix.size()) == 0)
            v.push_back(e->d_name);
    }
    closedir(d);
    return v;
}

void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, nullptr);
}

/* SIGKILL everything in DIR and remove it, waiting at most ~1 s (used
 * only when a broker starts or ends, never per job on the loop). */
bool drain_and_remove(const std::string &dir)
{
    for (int i = 0; i < 100; i++) {
        for (pid_t p : procs_of(dir))
            ::kill(p, SIGKILL);
        if (rmdir(dir.c_str()) == 0 || errno == ENOENT)
            return true;
        if (errno != EBUSY)
            return false;
        pause_ms(10);
    }
    return false;
}

} // namespace

flux::Result<uint64_t> cgroup_parse_size(const std::string &text)
{
    auto bad = [&](const std::string &why) {
        return flux::make_error(EINVAL, "'" + text + "': " + why);
    };
    if (text.empty() || !isdigit((unsigned char)text[0]))
        return bad("expected a size such as 512M, 2G or a number of bytes");
    errno = 0;
    char *end;
    unsigned long long n = strtoull(text.c_str(), &end, 10);
    if (errno == ERANGE)
        return bad("too large");
    std::string unit(end);
    for (auto &c : unit)
        c = (char)toupper((unsigned char)c);
    int shift;
    if (unit.empty() || unit == "B")
        shift = 0;
    else if (unit == "K" || unit == "KB" || unit == "KIB")
        shift = 10;
    else if (unit == "M" || unit == "MB" || unit == "MIB")
        shift = 20;
    else if (unit == "G" || unit == "GB" || unit == "GIB")
        shift = 30;
    else if (unit == "T" || unit == "TB" || unit == "TIB")
        shift = 40;
    else
        return bad("unknown unit '" + std::string(end) + "' (use K, M, G or T)");
    if (n == 0)
        return bad("a limit must be greater than 0");
    if (shift > 0 && n > (~0ULL >> shift))
        return bad("too large");
    return (uint64_t)n << shift;
}

std::string cgroup_size_text(uint64_t bytes)
{
    const char *units[] = {"K", "M", "G", "T"};
    std::string s;
    for (int i = 3; i >= 0; i--) {
        uint64_t u = 1ULL << (10 * (i + 1));
        if (bytes >= u && bytes % u == 0)
            return std::to_string(bytes / u) + units[i];
    }
    return std::to_string(bytes) + " bytes";
}

uint64_t cgroup_oom_kills(const std::string &text)
{
    std::istringstream in(text);
    std::string key;
    unsigned long long v;
    while (in >> key >> v) {
        if (key == "oom_kill")
            return v;
    }
    return 0;
}

std::string cgroup_job_dir(const std::string &parent, uint64_t id)
{
    return parent + "/job-" + std::to_string((unsigned long long)id);
}

flux::Result<CgroupLimits> cgroup_limits(json_t *jobspec, const std::string &cpus,
                                         size_t ncpus)
{
    CgroupLimits l;
    l.cpus = cpus;
    uint64_t per_cpu = 0;
    json_t *o = json_object_get(jobspec, "attributes");
    for (const char *k : {"system", "shell", "options", "cgroup"})
        o = json_object_get(o, k);
    if (!o)
        return l;
    if (!json_is_object(o))
        return flux::make_error(EINVAL, "cgroup: expected options such as -o cgroup.memory=512M");
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        std::string name = std::string("cgroup.") + key;
        bool pids = strcmp(key, "pids") == 0, per = strcmp(key, "memory-per-cpu") == 0;
        if (strcmp(key, "memory") != 0 && !pids && !per)
            return flux::make_error(EINVAL, name + ": unknown option (cgroup.memory, "
                                                   "cgroup.memory-per-cpu, cgroup.pids)");
        uint64_t n = 0;
        if (json_is_integer(v) && json_integer_value(v) > 0)
            n = (uint64_t)json_integer_value(v);
        else if (json_is_string(v) && !pids) {
            auto s = cgroup_parse_size(json_string_value(v));
            if (!s)
                return flux::make_error(EINVAL, name + ": " + s.error().text);
            n = *s;
        }
        else
            return flux::make_error(EINVAL, name + ": expected "
                                                + (pids ? std::string("a count > 0")
                                                        : std::string("a size such as 512M")));
        (pids ? l.pids : per ? per_cpu : l.memory) = n;
    }
    /* Per CPU (Slurm's --mem-per-cpu): times the CPUs the job has here;
     * with cgroup.memory too, the smaller. */
    if (per_cpu > 0) {
        uint64_t n = std::max<size_t>(ncpus, 1);
        uint64_t m = per_cpu > UINT64_MAX / n ? UINT64_MAX : per_cpu * n;
        if (l.memory == 0 || m < l.memory)
            l.memory = m;
    }
    return l;
}

uint64_t cgroup_memory_from_R(json_t *R, uint32_t rank)
{
    json_t *nodes = json_object_get(
        json_object_get(json_object_get(R, "scheduling"), "graph"), "nodes");
    uint64_t total = 0;
    size_t i;
    json_t *n;
    json_array_foreach(nodes, i, n)
    {
        const char *type = nullptr, *unit = "";
        json_int_t r = -1, size = 0;
        if (json_unpack(json_object_get(n, "metadata"), "{s:s s:I s:I s?s}", "type", &type,
                        "rank", &r, "size", &size, "unit", &unit)
                < 0
            || strcmp(type, "memory") != 0 || r != (json_int_t)rank || size <= 0)
            continue;
        auto bytes = cgroup_parse_size(std::to_string((long long)size) + unit);
        if (bytes)
            total += *bytes;
    }
    return total;
}

flux::Result<Cgroups::Mode> Cgroups::parse_mode(const std::string &text)
{
    if (text.empty() || text == "false" || text == "off" || text == "0")
        return Mode::off;
    if (text == "true" || text == "on" || text == "1")
        return Mode::on;
    if (text == "auto")
        return Mode::automatic;
    return flux::make_error(EINVAL, "'" + text + "': expected true, false or \"auto\"");
}

/* A directory fluxd-PID whose broker no longer runs: what it left. */
void Cgroups::sweep(const std::string &dir, Logger &log)
{
    for (const auto &name : subdirs(dir, "fluxd-")) {
        char *end;
        long pid = strtol(name.c_str() + 6, &end, 10);
        if (*end != '\0' || pid <= 0 || ::kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        std::string parent = dir + "/" + name;
        for (const auto &job : subdirs(parent, "job-"))
            drain_and_remove(parent + "/" + job);
        if (rmdir(parent.c_str()) == 0)
            log(LOG_INFO, "cgroup: removed " + parent + ", left by a broker that is gone");
    }
}

std::unique_ptr<Cgroups> Cgroups::create(Mode mode, const std::string &root, pid_t pid,
                                         Logger log)
{
    if (mode == Mode::off)
        return nullptr;
    std::unique_ptr<Cgroups> cg(new Cgroups());
    cg->log_ = log;
    const std::string me = "fluxd-" + std::to_string((long)pid);
    auto give_up = [&](const std::string &why) -> std::unique_ptr<Cgroups> {
        log(mode == Mode::on ? LOG_ERR : LOG_INFO,
            "cgroup: " + why + ": jobs run without a cgroup of their own");
        return nullptr; /* the destructor removes what was made */
    };
    cg->v2_ = exists(root + "/cgroup.controllers");
    if (cg->v2_) {
        /* The broker's own cgroup: "0::/PATH" in /proc/PID/cgroup. */
        auto self = read_file("/proc/" + std::to_string((long)pid) + "/cgroup");
        std::string own;
        if (self) {
            std::istringstream in(*self);
            std::string line;
            while (std::getline(in, line)) {
                if (line.rfind("0::", 0) == 0)
                    own = line.substr(3);
            }
        }
        if (own.empty())
            return give_up("cannot find this broker's cgroup in /proc/self/cgroup");
        std::string base = root + (own == "/" ? "" : own);
        sweep(base, log);
        /* Enable what the parent offers: fails (EBUSY) when the broker's own
         * cgroup holds processes and is not the root; the jobs then get a
         * cgroup for tracking and cleanup, without limits. */
        auto offered = read_file(base + "/cgroup.controllers").value_or("");
        for (const char *c : v2_controllers) {
            if (offered.find(c) != std::string::npos)
                (void)write_file(base + "/cgroup.subtree_control", std::string("+") + c);
        }
        std::string parent = base + "/" + me;
        if (mkdir(parent.c_str(), 0755) < 0 && errno != EEXIST)
            return give_up("cannot create " + parent + ": " + strerror(errno));
        cg->parents_.push_back(parent);
        auto avail = read_file(parent + "/cgroup.controllers").value_or("");
        for (const char *c : v2_controllers) {
            if (avail.find(c) != std::string::npos)
                (void)write_file(parent + "/cgroup.subtree_control", std::string("+") + c);
        }
        cg->have_cgroup_kill_ = exists(parent + "/cgroup.kill");
        cg->cpus_ = trim(read_file(parent + "/cpuset.cpus.effective").value_or(""));
        log(LOG_DEBUG, "cgroup: v2, jobs under " + parent + " (controllers: "
                           + trim(read_file(parent + "/cgroup.subtree_control").value_or(""))
                           + ")");
        return cg;
    }
    for (const char *c : v1_controllers) {
        std::string mount = root + "/" + c;
        if (!exists(mount + "/cgroup.procs"))
            continue;
        sweep(mount, log);
        std::string parent = mount + "/" + me;
        if (mkdir(parent.c_str(), 0755) < 0 && errno != EEXIST)
            return give_up("cannot create " + parent + ": " + strerror(errno));
        cg->parents_.push_back(parent);
        cg->ctl_names_.push_back(c);
        if (strcmp(c, "cpuset") == 0) {
            /* A new cpuset is empty: it gets its parent's, then tasks may join. */
            cg->cpus_ = trim(read_file(mount + "/cpuset.effective_cpus")
                                 .value_or(read_file(mount + "/cpuset.cpus").value_or("")));
            cg->mems_ = trim(read_file(mount + "/cpuset.effective_mems")
                                 .value_or(read_file(mount + "/cpuset.mems").value_or("")));
            auto a = write_file(parent + "/cpuset.cpus", cg->cpus_);
            auto b = a ? write_file(parent + "/cpuset.mems", cg->mems_) : a;
            if (!b)
                return give_up(b.error().text);
        }
    }
    if (cg->parents_.empty())
        return give_up("no cgroup v1 controller (memory, cpuset, pids, freezer) is mounted under "
                       + root);
    std::string names;
    for (const auto &n : cg->ctl_names_)
        names += (names.empty() ? "" : ",") + n;
    log(LOG_DEBUG, "cgroup: v1 (" + names + "), jobs under " + root + "/{" + names + "}/" + me);
    return cg;
}

Cgroups::~Cgroups()
{
    for (const auto &p : parents_) {
        for (const auto &job : subdirs(p, "job-"))
            drain_and_remove(p + "/" + job);
        if (rmdir(p.c_str()) < 0 && errno != ENOENT && log_)
            log_(LOG_ERR, "cgroup: cannot remove " + p + ": " + strerror(errno));
    }
}

std::vector<std::string> Cgroups::job_dirs(uint64_t id) const
{
    std::vector<std::string> v;
    for (const auto &p : parents_)
        v.push_back(cgroup_job_dir(p, id));
    return v;
}

std::string Cgroups::memory_dir(uint64_t id) const
{
    if (v2_)
        return cgroup_job_dir(parents_[0], id);
    for (size_t i = 0; i < ctl_names_.size(); i++) {
        if (ctl_names_[i] == "memory")
            return cgroup_job_dir(parents_[i], id);
    }
    return "";
}

std::string Cgroups::freezer_dir(uint64_t id) const
{
    for (size_t i = 0; i < ctl_names_.size(); i++) {
        if (ctl_names_[i] == "freezer")
            return cgroup_job_dir(parents_[i], id);
    }
    return "";
}

flux::Result<void> Cgroups::create_job(uint64_t id, const CgroupLimits &limits)
{
    auto dirs = job_dirs(id);
    size_t made = 0;
    auto undo = [&](flux::Error e) -> flux::Result<void> {
        for (size_t i = 0; i < made; i++)
            rmdir(dirs[i].c_str());
        return e;
    };
    for (; made < dirs.size(); made++) {
        if (mkdir(dirs[made].c_str(), 0755) < 0 && errno != EEXIST) {
            int e = errno;
            return undo(flux::Error{e, "cgroup: cannot create " + dirs[made] + ": " + strerror(e)});
        }
    }
    for (size_t i = 0; i < dirs.size(); i++) {
        const std::string &d = dirs[i];
        bool cpuset = v2_ ? exists(d + "/cpuset.cpus") : ctl_names_[i] == "cpuset";
        bool memory = v2_ ? exists(d + "/memory.max") : ctl_names_[i] == "memory";
        bool pids = v2_ ? exists(d + "/pids.max") : ctl_names_[i] == "pids";
        if (cpuset) {
            std::string cpus = limits.cpus.empty() ? cpus_ : limits.cpus;
            if (!cpus.empty()) {
                if (auto r = write_file(d + "/cpuset.cpus", cpus); !r) {
                    /* R's cores outside the broker's cpuset (a made-up R):
                     * the job gets the broker's cpus. */
                    log_(LOG_WARNING, r.error().text + " (the job gets " + cpus_ + ")");
                    if (auto r2 = write_file(d + "/cpuset.cpus", cpus_); !r2 && !v2_)
                        return undo(r2.error());
                }
            }
            if (!v2_) {
                if (auto r = write_file(d + "/cpuset.mems", mems_); !r)
                    return undo(r.error());
            }
        }
        if (memory && limits.memory > 0) {
            std::string n = std::to_string((unsigned long long)limits.memory);
            if (auto r = write_file(d + (v2_ ? "/memory.max" : "/memory.limit_in_bytes"), n); !r)
                return undo(r.error());
            /* Swap is no way around the limit. */
            if (v2_ && exists(d + "/memory.swap.max"))
                (void)write_file(d + "/memory.swap.max", "0");
            else if (!v2_ && exists(d + "/memory.memsw.limit_in_bytes"))
                (void)write_file(d + "/memory.memsw.limit_in_bytes", n);
        }
        if (pids && limits.pids > 0) {
            if (auto r = write_file(d + "/pids.max", std::to_string((unsigned long long)limits.pids));
                !r)
                return undo(r.error());
        }
    }
    return flux::Result<void>();
}

flux::Result<void> Cgroups::attach(uint64_t id, pid_t pid)
{
    std::string p = std::to_string((long)pid);
    for (const auto &d : job_dirs(id)) {
        if (auto r = write_file(d + "/cgroup.procs", p); !r)
            return r;
    }
    return flux::Result<void>();
}

uint64_t Cgroups::oom_kills(uint64_t id) const
{
    std::string d = memory_dir(id);
    if (d.empty())
        return 0;
    auto text = read_file(d + (v2_ ? "/memory.events" : "/memory.oom_control"));
    return text ? cgroup_oom_kills(*text) : 0;
}

void Cgroups::kill_all(const std::string &dir) const
{
    if (v2_ && have_cgroup_kill_) {
        (void)write_file(dir + "/cgroup.kill", "1");
        return;
    }
    for (pid_t p : procs_of(dir))
        ::kill(p, SIGKILL);
}

bool Cgroups::remove_job(uint64_t id)
{
    auto dirs = job_dirs(id);
    /* Frozen, nothing forks between reading the list and the kill (v2:
     * cgroup.kill does both at once where the kernel has it). */
    std::string fz = v2_ ? (have_cgroup_kill_ ? "" : dirs[0]) : freezer_dir(id);
    std::string ff = v2_ ? "/cgroup.freeze" : "/freezer.state";
    bool frozen = false;
    if (!fz.empty() && !procs_of(fz).empty())
        frozen = (bool)write_file(fz + ff, v2_ ? "1" : "FROZEN");
    for (const auto &d : dirs)
        kill_all(d);
    if (frozen)
        (void)write_file(fz + ff, v2_ ? "0" : "THAWED");
    bool gone = true;
    for (const auto &d : dirs) {
        if (rmdir(d.c_str()) < 0 && errno != ENOENT)
            gone = false;
    }
    return gone;
}

} // namespace fluxd
