/* exec.cpp - job-exec: the launch of a job, in phases.
 *
 * Topics (owner only):
 *   job-exec.start  {id, userid?, jobspec, R}            rank 0, streaming
 *       Sent once per job by the job manager.  Answered with events, each
 *       {id, type, data} (RFC 32 in shape):
 *         start     {}                the shells are being started
 *         release   {ranks, final}    ranks given back (final: the last)
 *         exception {type, severity, note}
 *         finish    {status}          wait(2) status: the largest shell exit
 *       The final release is the last response.  An error response means
 *       the job could not be launched at all (bad R or jobspec).
 *   job-exec.kill   {id, signal, escalate?}  -> {}       rank 0
 *       Signal every rank's shell of the job (with escalate, SIGKILL
 *       follows 5 s later: cancel and time limits).
 *   job-exec.shell  {id, jobspec, R, cores, gpus}
 *       -> {status} when this rank's shell exits          any rank
 *   job-exec.signal {id, signal, escalate?} -> {}         any rank
 *       These two are rank 0 job-exec's fan-out to the other ranks.
 *
 * Phases of a job on rank 0 (README.md has the diagram): prolog, then one
 * flux-shell per rank that has tasks, then per rank as its shell exits an
 * epilog and a partial release; finish once every shell has exited; the
 * final release once every rank is given back.  Prolog and epilog are
 * empty places today (no events): site scripts plug in there.
 * The time limit is R's expiration: past it, a timeout exception.
 *
 * The task layout (which ranks run tasks, how many in all) comes from R
 * and the jobspec through the same taskmap the shell uses
 * (src/common/taskmap).  The shell gets on its standard input
 *   {jobspec, R, rank, cpus, gpus}
 * lays out its own tasks from R, and runs as the leader of its own process group, which its tasks share,
 * so a signal reaches the whole job on that node.
 *
 * Attributes read: conf.shell_path (default: the build tree's or the
 * installed flux-shell); conf.shell.plugins (the config's [shell] plugins,
 * passed to every shell as "plugins" on its standard input).
 */
#include <cerrno>
#include <cstdio>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "eventlog/eventlog.h"
#include "exec.h"
#include "credentials.h"
#include "fluid/fluid.h"
#include "idset/idset.h"
#include "rv1/rv1.h"
#include "fluxd/service.h"
#include "fluxd/kvs/kvs.h"
#include "launcher.h"
#include "selfexe/selfexe.h"
#include "spawnattr/spawnattr.h"

extern char **environ;

namespace fluxd {

namespace {

constexpr int kill_grace_seconds = 5;
constexpr size_t shapes_max = 4;

/* Where a job-wide (not per-rank) prolog or epilog runs. */
flux::IdSet first_rank(const flux::Rv1 &R)
{
    auto f = R.ranks().first();
    return f ? flux::IdSet::range(*f, *f) : flux::IdSet();
}

std::string job_dir(uint64_t id)
{
    return "job." + flux::fluid_encode(id, flux::FluidFormat::dothex);
}

} // namespace

std::unique_ptr<JobExec> JobExec::create(ServiceHost &broker)
{
    std::unique_ptr<JobExec> je(new JobExec(broker));
    JobExec *p = je.get();
    je->reap_orphans();
    je->site_plugins_ = broker.attr("conf.shell.plugins").value_or("");
    je->imp_path_ = broker.attr("conf.exec.imp").value_or("");
    /* A configured shell (a wrapper, a test's) is always exec'd. */
    je->launcher_wanted_ = broker.attr("exec.shell-launcher").value_or("on") == "on"
                           && broker.attr("conf.shell_path").value_or("").empty();
    je->prolog_cfg_ = PerilogConfig::load(broker, PerilogPhase::prolog);
    je->epilog_cfg_ = PerilogConfig::load(broker, PerilogPhase::epilog);
    je->housekeeping_cfg_ = PerilogConfig::load(broker, PerilogPhase::housekeeping);
    if (auto mode = Cgroups::parse_mode(broker.attr("conf.exec.cgroup").value_or(""))) {
        je->cgroups_ = Cgroups::create(*mode, "/sys/fs/cgroup", getpid(),
                                       [&broker](int level, const std::string &text) {
                                           broker.log(level, "job-exec: %s", text.c_str());
                                       });
    }
    else
        broker.log(LOG_ERR, "job-exec: [exec] cgroup: %s", mode.error().text.c_str());
    broker.add_method("job-exec.start", 0, [p](const flux_msg_t *m) { p->start(m); });
    broker.add_method("job-exec.kill", 0, [p](const flux_msg_t *m) { p->kill(m); });
    broker.add_method("job-exec.expiration", 0, [p](const flux_msg_t *m) { p->expiration(m); });
    broker.add_method("job-exec.shell", 0,
                       [p](const flux_msg_t *m) { p->shell_request(m); });
    broker.add_method("job-exec.signal", 0,
                       [p](const flux_msg_t *m) { p->signal_request(m); });
    broker.add_method("job-exec.perilog", 0,
                       [p](const flux_msg_t *m) { p->perilog_request(m); });
    broker.add_method("job-exec.housekeeping", 0,
                       [p](const flux_msg_t *m) { p->housekeeping_request(m); });
    if (broker.rank() == 0)
        broker.on_ranks_changed([p] { p->ranks_changed(); });
    broker.add_method("job-exec.ping", FLUX_ROLE_USER,
                       [&broker](const flux_msg_t *m) { broker.respond(m, json_object()); });
    return je;
}

JobExec::~JobExec()
{
    for (auto &[id, sh] : shells_) {
        if (sh.pid > 0 && sh.via_imp)
            imp_kill(-sh.pid, SIGKILL, true);
        else if (sh.pid > 0)
            ::kill(-sh.pid, SIGKILL);
    }
}

std::string JobExec::shell_path() const
{
    if (auto p = broker_.attr("conf.shell_path"); p && !p->empty())
        return *p;
    /* Where the built-in shell is does not change while the broker runs. */
    if (builtin_shell_.empty()) {
        std::string built = flux::self_dir() + "/../shell/flux-shell";
        struct stat sb;
        builtin_shell_ = stat(built.c_str(), &sb) == 0 ? built : FLUX_SHELL_PATH;
    }
    return builtin_shell_;
}

/* The layout depends on resources and tasks only: jobs that differ in
 * their command, environment or attributes share one parse. */
const flux::Jobspec *JobExec::shape_of(json_t *jobspec, std::string *error)
{
    json_t *res = json_object_get(jobspec, "resources");
    json_t *tasks = json_object_get(jobspec, "tasks");
    for (size_t i = 0; i < shapes_.size(); i++) {
        if (json_equal(shapes_[i].resources.get(), res) && json_equal(shapes_[i].tasks.get(), tasks)) {
            if (i > 0)
                std::swap(shapes_[i], shapes_[0]);
            return &shapes_[0].js;
        }
    }
    if (!res || !tasks) {
        *error = "jobspec has no resources or tasks";
        return nullptr;
    }
    auto s = flux::jobspec_parse_json(jobspec);
    if (!s) {
        *error = s.error().text;
        return nullptr;
    }
    if (shapes_.size() == shapes_max)
        shapes_.pop_back();
    shapes_.insert(shapes_.begin(), KnownShape{flux::JsonPtr(json_incref(res)),
                                               flux::JsonPtr(json_incref(tasks)), std::move(*s)});
    return &shapes_[0].js;
}

void JobExec::respond_event(Launch &L, const char *type, json_t *data)
{
    broker_.respond(L.req.get(), json_pack("{s:I s:s s:o}", "id", (json_int_t)L.id, "type", type,
                                           "data", data ? data : json_object()));
}

void JobExec::exception_event(Launch &L, const char *type, const std::string &note)
{
    respond_event(L, "exception",
                  json_pack("{s:s s:i s:s}", "type", type, "severity", 0, "note", note.c_str()));
}

void JobExec::start(const flux_msg_t *msg)
{
    json_int_t id;
    int userid = 0;
    json_t *jobspec, *R;
    if (flux_msg_unpack(msg, "{s:I s?i s:o s:o}", "id", &id, "userid", &userid, "jobspec",
                        &jobspec, "R", &R)
            < 0
        || !json_is_object(jobspec)) {
        broker_.respond_error(msg, EPROTO,
                              "job-exec.start: expected {\"id\", \"jobspec\": {...}, \"R\": {...}}");
        return;
    }
    if (launches_.count((uint64_t)id)) {
        broker_.respond_error(msg, EEXIST, "job-exec.start: the job is already running");
        return;
    }
    auto r = flux::Rv1::decode(R);
    if (!r) {
        broker_.respond_error(msg, EINVAL, "job-exec.start: R: " + r.error().text);
        return;
    }
    if (r->empty()) {
        broker_.respond_error(msg, EINVAL, "job-exec.start: R holds no rank");
        return;
    }
    auto L = std::make_unique<Launch>();
    L->id = (uint64_t)id;
    L->userid = (uint32_t)userid;
    L->req = flux::msg_ref(msg);
    L->jobspec = flux::JsonPtr(json_incref(jobspec));
    /* Ingest checked its shape; a malformed one is no warning signal. */
    json_int_t signum = 0;
    double timeleft = 60;
    if (json_unpack(jobspec, "{s:{s:{s:{s:{s:{s:I s?F}}}}}}", "attributes", "system", "shell",
                    "options", "signal", "signum", &signum, "timeleft", &timeleft) == 0
        && signum > 0 && signum < 64 && timeleft >= 0) {
        L->warn_signal = (int)signum;
        L->warn_timeleft = timeleft;
    }
    L->R_json = flux::JsonPtr(json_incref(R));
    L->R = std::move(*r);
    L->unreleased = L->R.ranks();
    Launch &ref = *L;
    launches_[(uint64_t)id] = std::move(L);
    uint64_t jobid = (uint64_t)id;
    exec_log(jobid, "init");
    prolog(ref, [this, jobid](flux::Result<void> ok) {
        auto it = launches_.find(jobid);
        if (it == launches_.end())
            return;
        Launch &l = *it->second;
        if (!ok && !l.killed)
            exception_event(l, "prolog", ok.error().text);
        if (!ok || l.killed) {
            /* Never started: give everything back. */
            l.phase = Phase::done;
            finish_if_done(l);
            return;
        }
        start_shells(l);
    });
}

const std::optional<PerilogConfig> &JobExec::config_of(PerilogPhase p) const
{
    return p == PerilogPhase::prolog   ? prolog_cfg_
           : p == PerilogPhase::epilog ? epilog_cfg_
                                       : housekeeping_cfg_;
}

void JobExec::prolog(Launch &L, std::function<void(flux::Result<void>)> done)
{
    if (!prolog_cfg_) {
        done(flux::Result<void>());
        return;
    }
    const PerilogConfig &cfg = *prolog_cfg_;
    L.prolog_ranks = cfg.per_rank ? L.R.ranks() : first_rank(L.R);
    respond_event(L, "prolog-start", json_pack("{s:s}", "description", "job-exec.prolog"));
    auto pr = std::make_shared<PhaseRun>();
    pr->phase = PerilogPhase::prolog;
    pr->id = L.id;
    pr->timeout = cfg.timeout;
    pr->all = [this, done](PhaseRun &p) {
        auto it = launches_.find(p.id);
        if (it == launches_.end())
            return;
        respond_event(*it->second, "prolog-finish",
                      json_pack("{s:s s:i}", "description", "job-exec.prolog", "status", p.status));
        if (p.status != 0)
            done(flux::make_error(EIO, "prolog failed: " + p.note));
        else
            done(flux::Result<void>());
    };
    run_phase(pr, cfg, L.userid, L.prolog_ranks, L.R.ranks().encode(), L.R_json.get());
}

/* After finish: the epilog, once, on the job's first rank or (per-rank)
 * on each, releasing each rank as its epilog ends; then the final release. */
void JobExec::epilog(Launch &L)
{
    const PerilogConfig &cfg = *epilog_cfg_;
    L.epilogs = 1;
    respond_event(L, "epilog-start", json_pack("{s:s}", "description", "job-exec.epilog"));
    auto pr = std::make_shared<PhaseRun>();
    pr->phase = PerilogPhase::epilog;
    pr->id = L.id;
    pr->timeout = cfg.timeout;
    pr->each = [this, id = L.id](uint32_t rank, bool, bool last) {
        auto it = launches_.find(id);
        if (it == launches_.end() || last || !it->second->unreleased.contains(rank))
            return;
        it->second->unreleased.erase(rank);
        respond_event(*it->second, "release",
                      json_pack("{s:s s:b}", "ranks", std::to_string(rank).c_str(), "final", 0));
    };
    pr->all = [this](PhaseRun &p) {
        auto it = launches_.find(p.id);
        if (it == launches_.end())
            return;
        Launch &l = *it->second;
        respond_event(l, "epilog-finish",
                      json_pack("{s:s s:i}", "description", "job-exec.epilog", "status", p.status));
        l.epilogs = 0;
        l.epilog_done = true;
        finish_if_done(l);
    };
    run_phase(pr, cfg, L.userid, cfg.per_rank ? L.R.ranks() : first_rank(L.R),
              L.R.ranks().encode(), L.R_json.get());
}

void JobExec::run_phase(std::shared_ptr<PhaseRun> pr, const PerilogConfig &cfg, uint32_t userid,
                        const flux::IdSet &ranks, const std::string &all, json_t *R)
{
    char *text = json_dumps(R, JSON_COMPACT);
    std::string rtext = text ? text : "{}";
    free(text);
    pr->left = (int)ranks.count();
    ranks.for_each([&](uint32_t rank) {
        if (rank == broker_.rank()) {
            PerilogRunner::Job job{pr->id, userid, all, rtext};
            perilog_.run(pr->phase, cfg, job, [this, pr, rank](const PerilogResult &res) {
                phase_rank_done(pr, rank, res);
            });
            return;
        }
        json_t *o = json_pack("{s:I s:i s:s s:s s:O}", "id", (json_int_t)pr->id, "userid",
                              (int)userid, "phase", perilog_phase_name(pr->phase), "ranks",
                              all.c_str(), "R", R);
        broker_.rpc("job-exec.perilog", o, rank, [this, pr, rank](const flux_msg_t *rsp) {
            PerilogResult res;
            if (msg::errnum(rsp) != 0)
                res.error = msg::has_payload(rsp) ? std::string(msg::payload(rsp))
                                                  : strerror((int)msg::errnum(rsp));
            else {
                int timed_out = 0, killed = 0;
                const char *failed = "", *error = "";
                if (flux_msg_unpack(rsp, "{s:i s:b s:b s:s s:s}", "code", &res.code, "timed_out",
                                    &timed_out, "killed", &killed, "failed", &failed, "error",
                                    &error)
                    < 0)
                    res.error = "malformed job-exec.perilog response";
                else {
                    res.timed_out = timed_out;
                    res.killed = killed;
                    res.failed = failed;
                    res.error = error;
                }
            }
            phase_rank_done(pr, rank, res);
        });
    });
}

/* One rank's script is over: a failure drains the rank (unless the job
 * was cancelled meanwhile), and only then is it counted. */
void JobExec::phase_rank_done(std::shared_ptr<PhaseRun> pr, uint32_t rank,
                              const PerilogResult &res)
{
    auto complete = [this, pr, rank](bool ok) {
        bool last = --pr->left == 0;
        if (pr->each)
            pr->each(rank, ok, last);
        if (last && pr->all)
            pr->all(*pr);
    };
    if (res.ok()) {
        complete(true);
        return;
    }
    std::string what = res.describe(pr->timeout);
    if (pr->status == 0)
        pr->status = res.code != 0 ? res.code : 1;
    if (pr->note.empty())
        pr->note = "rank " + std::to_string(rank) + ": " + what;
    std::string job = flux::fluid_encode(pr->id, flux::FluidFormat::f58);
    broker_.log(LOG_ERR, "job-exec: %s of job %s on rank %u: %s", perilog_phase_name(pr->phase),
                job.c_str(), rank, what.c_str());
    if (res.killed) {
        complete(false);
        return;
    }
    std::string reason = std::string(perilog_phase_name(pr->phase)) + " failed for job " + job
                         + ": " + what;
    broker_.rpc("resource.drain",
                json_pack("{s:s s:s}", "targets", std::to_string(rank).c_str(), "reason",
                          reason.c_str()),
                0, [this, complete, rank](const flux_msg_t *rsp) {
                    if (msg::errnum(rsp) != 0 && msg::errnum(rsp) != EEXIST)
                        broker_.log(LOG_ERR, "job-exec: cannot drain rank %u: %s", rank,
                                    std::string(msg::payload(rsp)).c_str());
                    complete(false);
                });
}

/* Any rank: run this rank's script of a phase for rank 0's job-exec. */
void JobExec::perilog_request(const flux_msg_t *msg)
{
    json_int_t id;
    int userid = 0;
    const char *phase, *ranks;
    json_t *R;
    if (flux_msg_unpack(msg, "{s:I s:i s:s s:s s:o}", "id", &id, "userid", &userid, "phase",
                        &phase, "ranks", &ranks, "R", &R)
        < 0) {
        broker_.respond_error(msg, EPROTO,
                              "job-exec.perilog: expected {id, userid, phase, ranks, R}");
        return;
    }
    std::optional<PerilogPhase> p;
    for (auto c : {PerilogPhase::prolog, PerilogPhase::epilog, PerilogPhase::housekeeping}) {
        if (strcmp(phase, perilog_phase_name(c)) == 0)
            p = c;
    }
    if (!p) {
        broker_.respond_error(msg, EPROTO, std::string("job-exec.perilog: unknown phase '")
                                               + phase + "'");
        return;
    }
    const auto &cfg = config_of(*p);
    if (!cfg) {
        broker_.respond_error(msg, ENOENT, std::string("no ") + phase + " is configured on rank "
                                               + std::to_string(broker_.rank()));
        return;
    }
    char *text = json_dumps(R, JSON_COMPACT);
    PerilogRunner::Job job{(uint64_t)id, (uint32_t)userid, ranks, text ? text : "{}"};
    free(text);
    auto req = std::make_shared<flux::ConstMsgPtr>(flux::msg_ref(msg));
    perilog_.run(*p, *cfg, job, [this, req](const PerilogResult &res) {
        broker_.respond(req->get(),
                        json_pack("{s:i s:b s:b s:s s:s}", "code", res.code, "timed_out",
                                  res.timed_out, "killed", res.killed, "failed",
                                  res.failed.c_str(), "error", res.error.c_str()));
    });
}

/* Rank 0: housekeeping of a job that is over, on every rank of its R;
 * each rank is given back ({ranks, final}) as its script ends. */
void JobExec::housekeeping_request(const flux_msg_t *msg)
{
    json_int_t id;
    int userid = 0;
    json_t *R;
    if (flux_msg_unpack(msg, "{s:I s?i s:o}", "id", &id, "userid", &userid, "R", &R) < 0) {
        broker_.respond_error(msg, EPROTO, "job-exec.housekeeping: expected {id, R}");
        return;
    }
    auto r = flux::Rv1::decode(R);
    if (!r || r->empty()) {
        broker_.respond_error(msg, EINVAL, "job-exec.housekeeping: R: "
                                               + (r ? std::string("holds no rank") : r.error().text));
        return;
    }
    if (!housekeeping_cfg_) {
        broker_.respond(msg, json_pack("{s:I s:s s:b}", "id", id, "ranks",
                                       r->ranks().encode().c_str(), "final", 1));
        return;
    }
    auto req = std::make_shared<flux::ConstMsgPtr>(flux::msg_ref(msg));
    auto pr = std::make_shared<PhaseRun>();
    pr->phase = PerilogPhase::housekeeping;
    pr->id = (uint64_t)id;
    pr->timeout = housekeeping_cfg_->timeout;
    pr->each = [this, req, id](uint32_t rank, bool, bool last) {
        broker_.respond(req->get(), json_pack("{s:I s:s s:b}", "id", id, "ranks",
                                              std::to_string(rank).c_str(), "final", last));
    };
    run_phase(pr, *housekeeping_cfg_, (uint32_t)userid, r->ranks(), r->ranks().encode(), R);
}

json_t *JobExec::shell_input(json_t *jobspec, json_t *R, const char *cores, const char *gpus)
{
    std::string cpus;
    if (auto ids = flux::IdSet::parse(cores ? cores : ""))
        cpus = broker_.cpus_of_cores(*ids);
    json_t *in = json_pack("{s:O s:i s:s s:s s:O}", "jobspec", jobspec, "rank",
                           (int)broker_.rank(), "cpus", cpus.c_str(), "gpus", gpus ? gpus : "",
                           "R", R);
    if (in && !site_plugins_.empty())
        json_object_set_new(in, "plugins", json_string(site_plugins_.c_str()));
    /* A temporary statedir (a test or nested instance): no restarted
     * broker will reap this shell's tasks, so they die with the broker. */
    auto rundir = broker_.attr("rundir"), statedir = broker_.attr("statedir");
    if (in && rundir && statedir && *statedir == *rundir + "/state")
        json_object_set_new(in, "pdeathsig", json_true());
    return in;
}

void JobExec::start_shells(Launch &L)
{
    std::string err;
    const flux::Jobspec *js = shape_of(L.jobspec.get(), &err);
    flux::Result<flux::Taskmap> map = flux::make_error(EINVAL, err.empty() ? "bad jobspec" : err);
    if (js)
        map = flux::Taskmap::create(L.R, *js);
    if (!map) {
        exception_event(L, "exec", "cannot work out the job's tasks: " + map.error().text);
        L.phase = Phase::done;
        finish_if_done(L);
        return;
    }
    int64_t size = map->size();
    /* The output eventlog starts with its header (RFC 24); the shells
     * append data events after it. */
    auto hdr = flux::eventlog_entry_create(
        broker_.now(), "header",
        json_pack("{s:i s:{s:s s:s} s:I}", "version", 1, "encoding", "stdout", "UTF-8", "stderr",
                  "UTF-8", "count", (json_int_t)size));
    if (auto line = flux::eventlog_entry_encode(hdr); line && broker_.kvs())
        broker_.kvs()->write("primary", kvs_string_op(job_dir(L.id) + ".guest.output", *line));
    /* A job of another user starts through the IMP with its signed jobspec. */
    auto J = imp_J(L.id, L.userid);
    if (!J) {
        exception_event(L, "exec", J.error().text);
        L.phase = Phase::done;
        finish_if_done(L);
        return;
    }
    L.phase = Phase::shells;
    exec_log(L.id, "starting");
    respond_event(L, "start", nullptr);
    uint64_t id = L.id;
    /* Every rank with tasks is running before any is started: a shell
     * that fails to start (even at once) is then one rank done of many.
     * The launch is not ended before this loop is over. */
    for (const auto &node : map->nodes()) {
        if (node.ntasks > 0)
            L.running.insert(node.rank);
    }
    L.starting = true;
    for (const auto &node : map->nodes()) {
        if (node.ntasks == 0)
            continue;
        uint32_t rank = node.rank;
        const flux::RankResources *rr = L.R.find(rank);
        std::string cores = rr ? rr->cores().encode() : "";
        std::string gpus = rr ? rr->gpus().encode() : "";
        uint32_t r = rank;
        if (rank == broker_.rank()) {
            json_t *input = shell_input(L.jobspec.get(), L.R_json.get(), cores.c_str(), gpus.c_str());
            auto ok = spawn_shell(id, L.userid, input, [this, id, r](int code, const std::string &oom) {
                shell_exited(id, r, code, "", oom);
            }, *J);
            if (!ok)
                shell_exited(id, r, 1, ok.error().text);
            continue;
        }
        json_t *o = json_pack("{s:I s:O s:O s:s s:s s:i}", "id", (json_int_t)id, "jobspec",
                              L.jobspec.get(), "R", L.R_json.get(), "cores", cores.c_str(),
                              "gpus", gpus.c_str(), "userid", (int)L.userid);
        if (!J->empty())
            json_object_set_new(o, "J", json_string(J->c_str()));
        broker_.rpc("job-exec.shell", o, rank, [this, id, r](const flux_msg_t *rsp) {
            int code = 1;
            std::string why;
            const char *oom = "";
            if (msg::errnum(rsp) == EHOSTUNREACH) {
                /* The rank (or one on the way) went away with the shell. */
                auto it = launches_.find(id);
                if (it != launches_.end() && it->second->running.contains(r))
                    node_failure(id, flux::IdSet::range(r, r));
                return;
            }
            if (msg::errnum(rsp) != 0)
                why = msg::has_payload(rsp) ? std::string(msg::payload(rsp)) : strerror((int)msg::errnum(rsp));
            else if (flux_msg_unpack(rsp, "{s:i s?s}", "status", &code, "oom", &oom) < 0)
                why = "malformed job-exec.shell response";
            shell_exited(id, r, code, why, oom ? oom : "");
        });
    }
    L.starting = false;
    /* Ranks already done (a shell that failed to start, a rank without
     * tasks) go back now if others still run and no epilog waits. */
    if (!L.running.empty() && !epilog_cfg_) {
        flux::IdSet early = L.unreleased.difference(L.running);
        if (!early.empty()) {
            L.unreleased = L.running;
            respond_event(L, "release",
                          json_pack("{s:s s:b}", "ranks", early.encode().c_str(), "final", 0));
        }
    }
    /* The time limit: R's expiration. */
    arm_expire(L);
    /* Every shell may have failed to start already. */
    finish_if_done(L);
}

namespace {

struct timeval timeval_of(double seconds)
{
    struct timeval tv;
    if (seconds < 0)
        seconds = 0;
    tv.tv_sec = (time_t)seconds;
    tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
    return tv;
}

} // namespace

void JobExec::arm_expire(Launch &L)
{
    L.expire.reset();
    if (L.R.expiration > 0 && !L.running.empty() && !L.starting) {
        double left = L.R.expiration - broker_.now();
        L.expire_ctx = std::make_unique<std::pair<JobExec *, uint64_t>>(this, L.id);
        L.expire.reset(event_new(
            broker_.base(), -1, 0,
            [](evutil_socket_t, short, void *arg) {
                auto *ctx = (std::pair<JobExec *, uint64_t> *)arg;
                auto it = ctx->first->launches_.find(ctx->second);
                if (it != ctx->first->launches_.end() && !it->second->running.empty())
                    ctx->first->exception_event(*it->second, "timeout",
                                                "resource allocation expired");
            },
            L.expire_ctx.get()));
        struct timeval tv = timeval_of(left);
        event_add(L.expire.get(), &tv);
    }
    /* --signal: TIME before the expiration, or at once if less is left
     * (as Flux); a moved expiration (flux update) moves it, until sent. */
    L.warn.reset();
    if (L.warn_signal > 0 && !L.warned && L.R.expiration > 0 && !L.running.empty()
        && !L.starting) {
        double left = L.R.expiration - L.warn_timeleft - broker_.now();
        L.warn.reset(event_new(
            broker_.base(), -1, 0,
            [](evutil_socket_t, short, void *arg) {
                auto *ctx = (std::pair<JobExec *, uint64_t> *)arg;
                auto it = ctx->first->launches_.find(ctx->second);
                if (it == ctx->first->launches_.end() || it->second->running.empty())
                    return;
                Launch &L = *it->second;
                L.warned = true;
                ctx->first->signal_ranks(L, L.warn_signal, false);
            },
            L.expire_ctx.get()));
        struct timeval tv = timeval_of(left);
        event_add(L.warn.get(), &tv);
    }
}

void JobExec::expiration(const flux_msg_t *msg)
{
    json_int_t id;
    double exp;
    if (flux_msg_unpack(msg, "{s:I s:F}", "id", &id, "expiration", &exp) < 0 || exp < 0) {
        broker_.respond_error(msg, EPROTO,
                              "job-exec.expiration: expected {\"id\", \"expiration\": >= 0}");
        return;
    }
    auto it = launches_.find((uint64_t)id);
    if (it == launches_.end()) {
        broker_.respond(msg, nullptr); /* already gone: nothing to do */
        return;
    }
    Launch &L = *it->second;
    L.R.expiration = exp;
    if (json_t *ex = json_object_get(L.R_json.get(), "execution"))
        json_object_set_new(ex, "expiration", json_real(exp));
    arm_expire(L); /* once the shells run; start() arms it otherwise */
    broker_.respond(msg, nullptr);
}

void JobExec::shell_exited(uint64_t id, uint32_t rank, int code, const std::string &error,
                           const std::string &oom)
{
    auto it = launches_.find(id);
    if (it == launches_.end())
        return;
    Launch &L = *it->second;
    if (!L.running.contains(rank))
        return; /* counted already (its node was lost) */
    if (!error.empty())
        exception_event(L, "exec", "rank " + std::to_string(rank) + ": " + error);
    if (!oom.empty())
        exception_event(L, "oom", oom);
    L.max_code = std::max(L.max_code, code);
    L.running.erase(rank);
    rank_done(L, rank);
}

void JobExec::ranks_changed()
{
    flux::IdSet online = broker_.online_ranks();
    std::vector<std::pair<uint64_t, flux::IdSet>> hit;
    for (auto &[id, L] : launches_) {
        if (L->phase != Phase::shells || L->starting)
            continue;
        flux::IdSet lost = L->running.difference(online);
        if (!lost.empty())
            hit.emplace_back(id, lost);
    }
    for (auto &[id, lost] : hit)
        node_failure(id, lost);
}

void JobExec::node_failure(uint64_t id, const flux::IdSet &lost)
{
    auto it = launches_.find(id);
    if (it == launches_.end())
        return;
    std::string hosts;
    lost.for_each([&](uint32_t r) {
        const flux::RankResources *rr = it->second->R.find(r);
        if (rr && !rr->hostname.empty())
            hosts += (hosts.empty() ? "" : ",") + rr->hostname;
    });
    exception_event(*it->second, "node-failure",
                    "lost rank(s) " + lost.encode() + (hosts.empty() ? "" : " (" + hosts + ")"));
    lost.for_each([&](uint32_t r) { shell_exited(id, r, 128 + SIGKILL, ""); });
}

/* RANK's shell is over: give it back, unless it is the last (the final
 * release follows finish) or an epilog must run on it first. */
void JobExec::rank_done(Launch &L, uint32_t rank)
{
    if (L.starting)
        return; /* released once every shell is started (below) */
    if (!L.running.empty()) {
        if (epilog_cfg_)
            return; /* kept for the epilog */
        L.unreleased.erase(rank);
        respond_event(L, "release",
                      json_pack("{s:s s:b}", "ranks", std::to_string(rank).c_str(), "final", 0));
        return;
    }
    finish_if_done(L);
}

void JobExec::exec_log(uint64_t id, const char *name, json_t *context)
{
    auto line = flux::eventlog_entry_encode(flux::eventlog_entry_create(broker_.now(), name, context));
    if (line && broker_.kvs())
        broker_.kvs()->write("primary",
                             kvs_eventlog_op(job_dir(id) + ".guest.exec.eventlog", *line, true));
}

/* Once no shell runs: finish (if the job started), the epilog (if one is
 * configured), then the final release of every rank not yet given back,
 * which ends the stream. */
void JobExec::finish_if_done(Launch &L)
{
    if (!L.running.empty() || L.epilogs > 0 || L.starting)
        return;
    if (L.phase == Phase::shells && !L.finished) {
        L.finished = true;
        int c = L.max_code;
        /* wait(2) form: the shell reports 128+N for signal N. */
        int status = c > 128 && c < 128 + 65 ? c - 128 : c << 8;
        exec_log(L.id, "complete", json_pack("{s:i}", "status", status));
        respond_event(L, "finish", json_pack("{s:i}", "status", status));
    }
    L.phase = Phase::done;
    if (epilog_cfg_ && !L.epilog_done) {
        epilog(L);
        return;
    }
    exec_log(L.id, "done");
    respond_event(L, "release",
                  json_pack("{s:s s:b}", "ranks", L.unreleased.encode().c_str(), "final", 1));
    launches_.erase(L.id); /* L is gone */
}

void JobExec::signal_ranks(Launch &L, int sig, bool escalate)
{
    L.running.for_each([&](uint32_t rank) {
        if (rank == broker_.rank()) {
            signal_local(L.id, sig, escalate);
            return;
        }
        broker_.rpc("job-exec.signal",
                    json_pack("{s:I s:i s:b}", "id", (json_int_t)L.id, "signal", sig, "escalate",
                              escalate),
                    rank, [](const flux_msg_t *) {});
    });
}

void JobExec::kill(const flux_msg_t *msg)
{
    json_int_t id;
    int sig = SIGTERM, escalate = 0;
    if (flux_msg_unpack(msg, "{s:I s?i s?b}", "id", &id, "signal", &sig, "escalate", &escalate) < 0
        || sig <= 0 || sig >= 64) {
        broker_.respond_error(msg, EPROTO, "job-exec.kill: expected {\"id\", \"signal\": 1-63}");
        return;
    }
    auto it = launches_.find((uint64_t)id);
    if (it == launches_.end()) {
        broker_.respond(msg, nullptr); /* already gone: nothing to do */
        return;
    }
    Launch &L = *it->second;
    if (L.phase == Phase::prolog) {
        L.killed = true; /* the shells will not start */
        /* A running prolog is stopped (its failure then drains nothing). */
        L.prolog_ranks.for_each([&](uint32_t rank) {
            if (rank == broker_.rank())
                perilog_.signal(L.id, PerilogPhase::prolog, sig);
            else
                broker_.rpc("job-exec.signal",
                            json_pack("{s:I s:i s:b}", "id", (json_int_t)L.id, "signal", sig,
                                      "escalate", escalate),
                            rank, [](const flux_msg_t *) {});
        });
    }
    else
        signal_ranks(L, sig, escalate);
    broker_.respond(msg, nullptr);
}

/* Any rank: start this node's shell of a job for rank 0's job-exec. */
void JobExec::shell_request(const flux_msg_t *msg)
{
    json_int_t id;
    json_t *jobspec, *R;
    const char *cores = "", *gpus = "", *J = "";
    int userid = (int)getuid();
    if (flux_msg_unpack(msg, "{s:I s:o s:o s?s s?s s?i s?s}", "id", &id, "jobspec", &jobspec, "R",
                        &R, "cores", &cores, "gpus", &gpus, "userid", &userid, "J", &J)
        < 0) {
        broker_.respond_error(msg, EPROTO, "job-exec.shell: malformed request");
        return;
    }
    json_t *input = shell_input(jobspec, R, cores, gpus);
    auto req = std::make_shared<flux::ConstMsgPtr>(flux::msg_ref(msg));
    if (*J && imp_path_.empty()) {
        json_decref(input);
        broker_.respond_error(msg, EPERM,
                              "job-exec: a job of another user needs [exec] imp on rank "
                                  + std::to_string(broker_.rank()));
        return;
    }
    auto ok = spawn_shell((uint64_t)id, (uint32_t)userid, input, [this, req](int code, const std::string &oom) {
        json_t *o = json_pack("{s:i}", "status", code);
        if (o && !oom.empty())
            json_object_set_new(o, "oom", json_string(oom.c_str()));
        broker_.respond(req->get(), o);
    }, J);
    if (!ok)
        broker_.respond_error(msg, ok.error().errnum, ok.error().text);
}

void JobExec::signal_request(const flux_msg_t *msg)
{
    json_int_t id;
    int sig = SIGTERM, escalate = 0;
    if (flux_msg_unpack(msg, "{s:I s?i s?b}", "id", &id, "signal", &sig, "escalate", &escalate) < 0
        || sig <= 0 || sig >= 64) {
        broker_.respond_error(msg, EPROTO, "job-exec.signal: expected {\"id\", \"signal\": 1-63}");
        return;
    }
    signal_local((uint64_t)id, sig, escalate);
    broker_.respond(msg, nullptr);
}

namespace {

/* posix_spawn cannot change credentials: fork, and in the child do what
 * the spawn attributes do (new process group, signals DFL, empty mask,
 * stdin from the pipe), take C's identity, exec.  Returns 0 or an errno. */
int fork_as(const JobCredentials &c, pid_t *pidp, int in_fd, const char *path, char **argv,
            char **envp)
{
    pid_t pid = fork();
    if (pid < 0)
        return errno;
    if (pid == 0) {
        setpgid(0, 0);
        flux::child_reset_signals();
        if (dup2(in_fd, STDIN_FILENO) < 0)
            _exit(126);
        if (int e = apply_credentials(c); e != 0) {
            dprintf(STDERR_FILENO, "job-exec: cannot become user %s: %s\n", c.user.c_str(),
                    strerror(e));
            _exit(126);
        }
        execve(path, argv, envp);
        dprintf(STDERR_FILENO, "job-exec: cannot start %s as user %s: %s\n", path,
                c.user.c_str(), strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid); /* also here: no race with a signal sent at once */
    *pidp = pid;
    return 0;
}

} // namespace

flux::Result<void> JobExec::spawn_shell(uint64_t id, uint32_t userid, json_t *input,
                                        ShellDone done, const std::string &J)
{
    if (!input)
        return flux::make_error(EINVAL, "job-exec: cannot build the shell's input");
    /* As whom: the broker's user, or (root) the submitter's; through the
     * IMP (J given), the IMP changes identity. */
    auto cred = J.empty() ? job_credentials(userid, getuid())
                          : flux::Result<std::optional<JobCredentials>>(std::nullopt);
    if (!cred) {
        json_decref(input);
        return cred.error();
    }
    if (shells_.count(id)) {
        json_decref(input);
        return flux::make_error(EEXIST, "job is already running on this rank");
    }
    /* The job's cgroup, before the shell exists: a bad option fails the
     * job; a cgroup that cannot be made is logged and the job runs. */
    bool in_cgroup = false;
    CgroupLimits limits;
    if (cgroups_) {
        const char *cpus = json_string_value(json_object_get(input, "cpus"));
        /* The CPUs the job has here (for cgroup.memory-per-cpu): the OS
         * CPUs of its cores, or its cores in R when those are unknown. */
        size_t ncpus = 0;
        if (cpus && *cpus) {
            if (auto set = flux::IdSet::parse(cpus))
                ncpus = set->count();
        }
        if (ncpus == 0) {
            if (auto R = flux::Rv1::decode(json_object_get(input, "R"))) {
                auto it = R->by_rank().find(broker_.rank());
                if (it != R->by_rank().end())
                    ncpus = it->second.cores().count();
            }
        }
        auto l = cgroup_limits(json_object_get(input, "jobspec"), cpus ? cpus : "", ncpus);
        if (!l) {
            json_decref(input);
            return flux::make_error(EINVAL, l.error().text);
        }
        limits = *l;
        /* Memory the scheduler allocated here (sched-graph) caps the job
         * too; -o cgroup.memory may ask for less. */
        uint64_t given = cgroup_memory_from_R(json_object_get(input, "R"), broker_.rank());
        if (given > 0 && (limits.memory == 0 || given < limits.memory))
            limits.memory = given;
        if (auto ok = cgroups_->create_job(id, limits); ok)
            in_cgroup = true;
        else
            broker_.log(LOG_ERR, "job-exec: job %s runs without its cgroup: %s",
                        flux::fluid_encode(id, flux::FluidFormat::f58).c_str(),
                        ok.error().text.c_str());
    }
    char *text = json_dumps(input, JSON_COMPACT);
    json_decref(input);
    if (!text)
        return flux::make_error(ENOMEM, "job-exec: cannot encode the shell's input");
    /* Close-on-exec: a shell started meanwhile must not hold this pipe's
     * write end, or this shell would never see the end of its input. */
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0) {
        int e = errno;
        free(text);
        return flux::make_error(e, std::string("job-exec: pipe: ") + strerror(e));
    }
    std::string path = shell_path();
    bool via_imp = !J.empty();
    /* The shells' environment: the broker's, FLUX_URI naming this broker. */
    auto shell_env = [this]() {
        std::vector<std::string> env;
        for (char **e = environ; *e; e++) {
            if (strncmp(*e, "FLUX_URI=", 9) != 0)
                env.push_back(*e);
        }
        env.push_back("FLUX_URI=local://" + broker_.local_uri_path());
        return env;
    };
    pid_t pid = -1;
    int rc = 0;
    /* The owner's jobs with the built-in shell: forked by the launcher
     * (launcher.h), no exec per job.  Exec if it cannot. */
    ShellLauncher *launcher = nullptr;
    if (!*cred && !via_imp && launcher_wanted_) {
        if (!launcher_) {
            auto l = ShellLauncher::start(broker_, path, shell_env());
            if (!l) {
                broker_.log(LOG_ERR, "job-exec: %s; shells are exec'd", l.error().text.c_str());
                launcher_wanted_ = false;
            }
            else
                launcher_ = std::move(*l);
        }
        if (launcher_ && launcher_->alive()) {
            if (auto p = launcher_->spawn(id, pfd[0]); p) {
                pid = *p;
                launcher = launcher_.get();
            }
            else
                broker_.log(LOG_ERR, "job-exec: job %s: %s; its shell is exec'd",
                            flux::fluid_encode(id, flux::FluidFormat::f58).c_str(),
                            p.error().text.c_str());
        }
    }
    if (!launcher) {
        std::vector<std::string> env = shell_env();
        std::vector<char *> envp;
        for (auto &e : env)
            envp.push_back(e.data());
        envp.push_back(nullptr);
        /* Through the IMP: `IMP exec SHELL JOBID`, J as the first line of stdin. */
        std::string shell = path, exec_arg = "exec";
        std::string idarg = std::to_string((unsigned long long)id);
        if (via_imp)
            path = imp_path_;
        std::vector<char *> argv;
        argv.push_back(path.data());
        if (via_imp) {
            argv.push_back(exec_arg.data());
            argv.push_back(shell.data());
        }
        argv.push_back(idarg.data());
        argv.push_back(nullptr);
        if (*cred)
            rc = fork_as(**cred, &pid, pfd[0], path.c_str(), argv.data(), envp.data());
        else {
            posix_spawn_file_actions_t fa;
            posix_spawn_file_actions_init(&fa);
            posix_spawn_file_actions_adddup2(&fa, pfd[0], STDIN_FILENO);
            posix_spawnattr_t attr;
            flux::child_spawnattr_init(&attr, true);
            rc = posix_spawn(&pid, path.c_str(), &fa, &attr, argv.data(), envp.data());
            posix_spawn_file_actions_destroy(&fa);
            posix_spawnattr_destroy(&attr);
        }
    }
    close(pfd[0]);
    if (rc != 0) {
        close(pfd[1]);
        free(text);
        if (in_cgroup)
            cgroups_->remove_job(id);
        return flux::make_error(rc, "job-exec: cannot start " + path + ": " + strerror(rc));
    }
    /* The shell waits for its input before it forks a task: in its cgroup
     * now, no task starts outside. */
    if (in_cgroup) {
        if (auto ok = cgroups_->attach(id, pid); !ok)
            broker_.log(LOG_ERR, "job-exec: job %s: %s",
                        flux::fluid_encode(id, flux::FluidFormat::f58).c_str(),
                        ok.error().text.c_str());
    }
    /* The description is small (a jobspec and R); the shell reads it at once. */
    auto write_all = [fd = pfd[1]](const char *p, size_t len) {
        size_t off = 0;
        while (off < len) {
            ssize_t n = write(fd, p + off, len - off);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            off += (size_t)n;
        }
    };
    if (via_imp) {
        write_all(J.data(), J.size());
        write_all("\n", 1);
    }
    write_all(text, strlen(text));
    close(pfd[1]);
    free(text);
    records_.started(pid, id);
    Shell &sh = shells_[id];
    sh.pid = pid;
    sh.via_imp = via_imp;
    sh.done = std::move(done);
    sh.cgroup = in_cgroup;
    sh.limits = limits;
    auto on_exit = [this, pid, id](int status) {
        records_.exited(pid);
        auto it = shells_.find(id);
        if (it == shells_.end())
            return;
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        auto done = std::move(it->second.done);
        bool cg = it->second.cgroup;
        CgroupLimits lim = it->second.limits;
        shells_.erase(it);
        if (!cg) {
            done(code, "");
            return;
        }
        cgroup_end(id, lim, [done, code](std::string oom) { done(code, oom); });
    };
    if (launcher)
        launcher->watch(pid, std::move(on_exit));
    else
        broker_.watch_child(pid, std::move(on_exit));
    return flux::Result<void>();
}

void JobExec::cgroup_end(uint64_t id, const CgroupLimits &limits,
                         std::function<void(std::string)> then)
{
    std::string oom;
    if (uint64_t n = cgroups_->oom_kills(id)) {
        char host[256] = "";
        gethostname(host, sizeof(host) - 1);
        oom = "rank " + std::to_string(broker_.rank()) + " (" + host + "): "
              + (n == 1 ? std::string("a task was") : std::to_string(n) + " tasks were")
              + " killed by the OOM killer in the job's cgroup, "
              + (limits.memory ? "memory limit " + cgroup_size_text(limits.memory)
                               : std::string("no memory limit set"));
    }
    if (cgroups_->remove_job(id)) {
        then(oom);
        return;
    }
    auto r = std::make_shared<CgroupRetry>();
    r->id = id;
    r->oom = oom;
    r->then = std::move(then);
    cgroup_retry(r);
}

/* Stragglers were sent SIGKILL: try again as they exit (every 10 ms, then
 * every 100 ms), and give up after about 30 s. */
void JobExec::cgroup_retry(std::shared_ptr<CgroupRetry> r)
{
    struct Ctx {
        JobExec *je;
        std::shared_ptr<CgroupRetry> r;
    };
    struct timeval tv = {0, r->tries < 100 ? 10000 : 100000};
    event_base_once(
        broker_.base(), -1, EV_TIMEOUT,
        [](evutil_socket_t, short, void *arg) {
            std::unique_ptr<Ctx> c((Ctx *)arg);
            auto r = c->r;
            r->tries++;
            bool gone = c->je->cgroups_->remove_job(r->id);
            if (!gone && r->tries < 400) {
                c->je->cgroup_retry(r);
                return;
            }
            if (!gone)
                c->je->broker_.log(LOG_ERR,
                                   "job-exec: job %s: its cgroup still holds processes; left in place",
                                   flux::fluid_encode(r->id, flux::FluidFormat::f58).c_str());
            r->then(r->oom);
        },
        new Ctx{this, r}, &tv);
}

void JobExec::signal_local(uint64_t id, int sig, bool escalate)
{
    if (prolog_cfg_)
        perilog_.signal(id, PerilogPhase::prolog, sig); /* a prolog running here */
    auto it = shells_.find(id);
    if (it == shells_.end())
        return; /* already gone */
    Shell &sh = it->second;
    if (sh.via_imp)
        imp_kill(-sh.pid, sig);
    else
        ::kill(-sh.pid, sig);
    if (escalate && sig != SIGKILL && !sh.kill_timer) {
        sh.kill_ctx = std::make_unique<std::pair<JobExec *, uint64_t>>(this, id);
        sh.kill_timer.reset(event_new(
            broker_.base(), -1, 0,
            [](evutil_socket_t, short, void *arg) {
                auto *c = (std::pair<JobExec *, uint64_t> *)arg;
                auto i = c->first->shells_.find(c->second);
                if (i != c->first->shells_.end() && i->second.via_imp)
                    c->first->imp_kill(-i->second.pid, SIGKILL);
                else if (i != c->first->shells_.end())
                    ::kill(-i->second.pid, SIGKILL);
            },
            sh.kill_ctx.get()));
        struct timeval tv = {kill_grace_seconds, 0};
        event_add(sh.kill_timer.get(), &tv);
    }
}

} // namespace fluxd
