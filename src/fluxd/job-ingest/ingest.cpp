/* ingest.cpp - job-ingest (rank 0).
 *
 * Topic job-ingest.submit {jobspec: object | string (JSON or YAML),
 *                          urgency?: 0-31 (default 16), flags?: int,
 *                          cc?: IDSET | bcc?: IDSET}
 *   -> {id}   once job.<id>.jobspec and job.<id>.eventlog (the submit event)
 *             are durable in the KVS.
 *   With cc or bcc (a job array, what flux submit --cc sends): one job per
 *   id of the RFC 22 idset, at most cc_max of them, each with FLUX_JOB_CC=id
 *   in its environment (cc) or the jobspec as it is (bcc); validated once,
 *   answered once, {ids: [id...]} in idset order, when all are durable.
 * Jobspecs are validated against RFC 14 (and RFC 25 V1); errors name the
 * offending path.  Only the instance owner may expedite (urgency 31).
 * Feasibility is the loaded scheduler's answer to feasibility.check, asked
 * once per distinct scheduler request (see Ingest::feasibility()); ENOSYS
 * or no answer within job-ingest.feasibility-timeout seconds (attribute)
 * means feasible.  Submissions behind a check wait for it, in order.
 *
 * Before the jobspec checks, the site's frobnicators run, and after them
 * its validators (chain.h, flux-ingest-plugins(7)): with none configured
 * the path is the one above; otherwise the submission waits in order while
 * they run (submit_chain()).
 *
 * Job ids are FLUIDs (RFC 19) from generator 0 with an epoch chosen when the
 * instance first starts and kept in the KVS (job-ingest.epoch), so ids keep
 * increasing across restarts of an instance with the same statedir.
 */
#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>
#include <cerrno>
#include <sys/time.h>
#include <syslog.h>
#include <unistd.h>

#include <cstring>

#include "eventlog/eventlog.h"
#include "flux/job.h"
#include "fsd/fsd.h"
#include "fluxd/service.h"
#include "fluxd/kvs/kvs.h"
#include "fluxd/resource/resource.h"
#include "ingest.h"
#include "jobspec/jobspec.h"

namespace fluxd {

namespace {

constexpr int urgency_default = 16;
constexpr int urgency_max = 31;
constexpr size_t jobspec_max = 1024 * 1024;
constexpr size_t cc_max = 10000; /* jobs per job-array request */
/* Stands for the FLUX_JOB_CC value in an array's jobspec text. */
constexpr const char *cc_mark = "\x01" "fluxd-cc\x01";

uint64_t now_ms()
{
    struct timeval tv;
    gettimeofday(&tv, nullptr);
    return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}


std::string dump(json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT | JSON_ENCODE_ANY);
    std::string out = s ? s : "null";
    free(s);
    return out;
}

} // namespace

std::string jobspec_system_string(json_t *jobspec, const char *key)
{
    json_t *v = json_object_get(json_object_get(json_object_get(jobspec, "attributes"), "system"),
                                key);
    return json_is_string(v) ? json_string_value(v) : "";
}

std::string job_name(json_t *jobspec)
{
    json_t *name = json_object_get(
        json_object_get(json_object_get(json_object_get(jobspec, "attributes"), "system"), "job"),
        "name");
    if (json_is_string(name))
        return json_string_value(name);
    json_t *cmd = json_object_get(json_array_get(json_object_get(jobspec, "tasks"), 0), "command");
    const char *arg0 = json_string_value(json_array_get(cmd, 0));
    if (!arg0)
        return "";
    const char *slash = strrchr(arg0, '/');
    return slash ? slash + 1 : arg0;
}

std::shared_ptr<const std::string> job_dependencies(json_t *jobspec)
{
    json_t *d = json_object_get(
        json_object_get(json_object_get(jobspec, "attributes"), "system"), "dependencies");
    if (!d)
        return nullptr;
    return std::make_shared<const std::string>(dump(d));
}

double test_run_duration(json_t *jobspec)
{
    json_t *rd = json_object_get(
        json_object_get(json_object_get(json_object_get(json_object_get(jobspec, "attributes"),
                                                        "system"),
                                        "exec"),
                        "test"),
        "run_duration");
    if (json_is_string(rd)) {
        if (auto d = flux::fsd_parse(json_string_value(rd)))
            return *d;
    }
    else if (json_is_number(rd))
        return json_number_value(rd);
    return -1;
}

/* What a scheduler needs of a jobspec: version, resources, tasks and the
 * duration, without the environment and the rest of attributes.system. */
std::string sched_subset(json_t *jobspec)
{
    json_t *sys = json_object_get(json_object_get(jobspec, "attributes"), "system");
    json_t *o = json_pack("{s:O? s:O? s:O? s:{s:{}}}", "version", json_object_get(jobspec, "version"),
                          "resources", json_object_get(jobspec, "resources"), "tasks",
                          json_object_get(jobspec, "tasks"), "attributes", "system");
    if (!o)
        return dump(jobspec);
    json_t *osys = json_object_get(json_object_get(o, "attributes"), "system");
    for (const char *key : {"duration", "queue", "constraints"}) {
        if (json_t *v = json_object_get(sys, key))
            json_object_set(osys, key, v);
    }
    std::string text = dump(o);
    json_decref(o);
    return text;
}

/* The jobspec's own text inside PAYLOAD when PAYLOAD is exactly
 * {"jobspec":{...}} or {"jobspec":{...},"urgency":N}, as flux submit writes
 * it (WHOLE is PAYLOAD parsed), so that it need not be encoded again. */
std::optional<std::string_view> jobspec_slice(std::string_view payload, json_t *whole)
{
    static const std::string_view head = "{\"jobspec\":{";
    std::string_view p = payload;
    if (!p.starts_with(head) || p.size() < head.size() + 2 || p.back() != '}')
        return std::nullopt;
    size_t end; /* one past the jobspec's closing brace */
    if (json_object_size(whole) == 1)
        end = p.size() - 1;
    else if (json_object_size(whole) == 2 && json_object_get(whole, "urgency")) {
        size_t u = p.rfind(",\"urgency\":");
        if (u == std::string_view::npos)
            return std::nullopt;
        for (size_t i = u + 11; i + 1 < p.size(); i++) {
            if (!isdigit((unsigned char)p[i]))
                return std::nullopt;
        }
        end = u;
    }
    else
        return std::nullopt;
    std::string_view js = p.substr(head.size() - 1, end - (head.size() - 1));
    if (js.size() < 2 || js.back() != '}')
        return std::nullopt;
    return js;
}

std::string Ingest::job_key(uint64_t id)
{
    return "job." + flux::fluid_encode(id, flux::FluidFormat::dothex);
}

flux::Result<std::unique_ptr<Ingest>> Ingest::create(ServiceHost &broker, Resource *resource,
                                                     Notify notify)
{
    Kvs *kvs = broker.kvs();
    if (!kvs)
        return flux::make_error(EINVAL, "job-ingest needs the KVS (rank 0)");
    uint64_t epoch = 0;
    if (auto v = kvs->lookup("primary", "job-ingest.epoch"))
        epoch = strtoull(v->c_str(), nullptr, 10);
    if (epoch == 0) {
        epoch = now_ms();
        KvsOp op;
        op.key = "job-ingest.epoch";
        op.value = std::to_string(epoch);
        kvs->commit("primary", {op}, [](const flux::Result<uint64_t> &) {});
    }
    auto gen = flux::FluidGenerator::create(0, epoch);
    if (!gen)
        return flux::make_error(gen.error().errnum, "job-ingest: " + gen.error().text);
    std::unique_ptr<Ingest> in(new Ingest(broker, resource, std::move(notify)));
    auto conf = [&broker](const char *attr) {
        auto text = broker.attr(attr);
        return flux::JsonPtr(text && !text->empty() ? json_loads(text->c_str(), 0, nullptr)
                                                    : nullptr);
    };
    flux::JsonPtr ingest = conf("conf.ingest"), policy = conf("conf.policy");
    in->queues_ = conf("conf.queues");
    if (!ingest)
        ingest.reset(json_object());
    /* Mechanism none from guests ([ingest] allow-guest-none): on by
     * default except where guest jobs start through the IMP ([exec] imp),
     * which runs only a J the user signed with munge: refused here, at
     * submission, rather than at exec.  Elsewhere the broker's own
     * credential check (J's userid is the connection's) is the proof. */
    if (auto agn = broker.attr("ingest.allow-guest-none"))
        in->allow_guest_none_ = *agn == "true";
    else
        in->allow_guest_none_ = broker.attr("conf.exec.imp").value_or("").empty();
    /* As in Flux: queues or job defaults in the config bring the defaults
     * and constraints frobnicators, limits the limit validators, unless
     * the [ingest] tables say which plugins to run. */
    auto defaults_for = [&](const char *role, std::initializer_list<const char *> names) {
        json_t *r = json_object_get(ingest.get(), role);
        if (!r) {
            json_object_set_new(ingest.get(), role, json_object());
            r = json_object_get(ingest.get(), role);
        }
        if (json_object_get(r, "plugins"))
            return;
        json_t *a = json_array();
        for (const char *n : names)
            json_array_append_new(a, json_string(n));
        json_object_set_new(r, "plugins", a);
    };
    bool queue_limits = false;
    const char *qname;
    json_t *q;
    json_object_foreach(in->queues_.get(), qname, q)
    {
        if (json_object_get(json_object_get(q, "policy"), "limits"))
            queue_limits = true;
    }
    if (in->queues_ || json_object_get(json_object_get(policy.get(), "jobspec"), "defaults"))
        defaults_for("frobnicator", {"defaults", "constraints"});
    if (queue_limits || json_object_get(policy.get(), "limits"))
        defaults_for("validator", {"jobspec", "feasibility", "limit-job-size", "limit-duration"});
    auto chain = IngestChain::create(broker, ingest.get(), policy.get(), in->queues_.get());
    if (!chain)
        return flux::make_error(chain.error().errnum, "job-ingest: " + chain.error().text);
    in->chain_ = std::move(*chain);
    in->fluid_.emplace(std::move(*gen));
    in->batch_ev_.reset(event_new(
        broker.base(), -1, 0,
        [](evutil_socket_t, short, void *arg) { ((Ingest *)arg)->commit_batch(); }, in.get()));
    broker.add_method("job-ingest.submit", FLUX_ROLE_USER,
                       [p = in.get()](const flux_msg_t *m) { p->submit(m); });
    broker.add_method("job-ingest.ping", FLUX_ROLE_USER, [&broker](const flux_msg_t *m) {
        broker.respond(m, json_object());
    });
    return in;
}

/* The feasibility entry of a scheduler request: known, being asked, or
 * asked now.  The scheduler's answer may come at once (ENOSYS). */
std::shared_ptr<Ingest::Feasibility>
Ingest::feasibility(const std::shared_ptr<const std::string> &text)
{
    Resource *res = resource_;
    uint64_t gen = res ? res->generation() : 0;
    if (gen != feasible_res_gen_ || sched_epoch_ != feasible_sched_epoch_) {
        feasible_.clear(); /* answers in flight still serve their waiters */
        feasible_res_gen_ = gen;
        feasible_sched_epoch_ = sched_epoch_;
    }
    for (size_t i = 0; i < feasible_.size(); i++) {
        if (feasible_[i]->sched_text == text || *feasible_[i]->sched_text == *text) {
            if (i > 0)
                std::swap(feasible_[i], feasible_[0]);
            return feasible_[0];
        }
    }
    auto f = std::make_shared<Feasibility>();
    f->sched_text = text;
    constexpr size_t feasible_max = 8;
    if (feasible_.size() == feasible_max)
        feasible_.pop_back();
    feasible_.insert(feasible_.begin(), f);
    long timeout = broker_.attr_long("job-ingest.feasibility-timeout").value_or(10);
    std::weak_ptr<Feasibility> wf = f;
    f->timer_ctx = std::make_unique<std::pair<Ingest *, std::weak_ptr<Feasibility>>>(this, wf);
    f->timer.reset(event_new(
        broker_.base(), -1, 0,
        [](evutil_socket_t, short, void *arg) {
            auto *w = (std::pair<Ingest *, std::weak_ptr<Feasibility>> *)arg;
            if (auto fe = w->second.lock())
                w->first->feasibility_timeout(*fe);
        },
        f->timer_ctx.get()));
    struct timeval tv = {(time_t)timeout, 0};
    event_add(f->timer.get(), &tv);
    broker_.rpc("feasibility.check", "{\"jobspec\":" + *text + "}", FLUX_NODEID_ANY,
                [this, wf](const flux_msg_t *rsp) {
                    if (auto fe = wf.lock(); fe && !fe->known)
                        feasibility_answer(*fe, rsp);
                });
    return f;
}

void Ingest::feasibility_answer(Feasibility &f, const flux_msg_t *rsp)
{
    f.known = true;
    f.timer.reset();
    /* ENOSYS: no scheduler offers feasibility.check: feasible. */
    if (msg::errnum(rsp) != 0 && msg::errnum(rsp) != ENOSYS) {
        f.errnum = (int)msg::errnum(rsp);
        f.error = msg::has_payload(rsp) && !msg::payload(rsp).empty() ? msg::payload(rsp)
                                                             : strerror((int)msg::errnum(rsp));
    }
    drain_waiting();
}

/* No answer in time: the job is taken (the scheduler still decides when it
 * allocates), and the next submission of this request asks again. */
void Ingest::feasibility_timeout(Feasibility &f)
{
    broker_.log(LOG_WARNING, "job-ingest: the scheduler did not answer feasibility.check in time:"
                             " submissions accepted unchecked");
    f.known = true;
    for (size_t i = 0; i < feasible_.size(); i++) {
        if (feasible_[i].get() == &f) {
            feasible_.erase(feasible_.begin() + (long)i);
            break;
        }
    }
    drain_waiting();
}

/* Answer waiting submissions, oldest first, up to one still being asked. */
void Ingest::drain_waiting()
{
    while (!waiting_.empty()) {
        Waiting &w = waiting_.front();
        if (w.run) {
            if (!w.run->done)
                return;
            w.val = std::move(*w.run->val);
            w.feas = w.run->feas;
            w.run.reset();
        }
        if (w.feas && !w.feas->known)
            return;
        Waiting done = std::move(w);
        waiting_.pop_front();
        proceed(done.req.get(), done.val, done.feas.get());
    }
}

void Ingest::submit(const flux_msg_t *msg)
{
    /* Feasibility needs every rank's resources: hold submissions that
     * arrive while they are still being discovered. */
    Resource *res = resource_;
    if (res) {
        std::shared_ptr<const flux_msg_t> req(flux_msg_incref(msg), flux_msg_decref);
        res->when_ready([this, req]() { submit_ready(req.get()); });
        return;
    }
    submit_ready(msg);
}

std::shared_ptr<const Ingest::Validated> Ingest::cached(const flux_msg_t *msg)
{
    uint32_t owner = msg::rolemask(msg) & FLUX_ROLE_OWNER;
    for (size_t i = 0; i < recent_.size(); i++) {
        if (recent_[i]->userid == msg::userid(msg) && recent_[i]->rolemask == owner
            && recent_[i]->payload == msg::payload(msg)) {
            auto v = recent_[i];
            std::rotate(recent_.begin(), recent_.begin() + (long)i, recent_.begin() + (long)i + 1);
            return v;
        }
    }
    return nullptr;
}

void Ingest::remember(std::shared_ptr<const Validated> v)
{
    /* A munge J is verified every time: the same text again is a replay. */
    if (v->munge)
        return;
    constexpr size_t recent_max = 4;
    recent_.insert(recent_.begin(), std::move(v));
    if (recent_.size() > recent_max)
        recent_.pop_back();
}

flux::Result<Ingest::Decoded> Ingest::decode(const flux_msg_t *msg)
{
    Decoded d;
    json_error_t jerr;
    /* NUL is let through so the jobspec check can name it. */
    d.whole.reset(msg::has_payload(msg) ? json_loadb(msg::payload(msg).data(),
                                                     msg::payload(msg).size(), JSON_ALLOW_NUL,
                                                     &jerr)
                                        : nullptr);
    if (!d.whole && msg::has_payload(msg) && strstr(jerr.text, "depth"))
        return flux::make_error(EINVAL, "jobspec nesting too deep (" + std::string(jerr.text)
                                            + ")");
    if (!d.whole
        || json_unpack(d.whole.get(), "{s?o s?s s?i s?i s?s s?s}", "jobspec", &d.js, "J", &d.j,
                       "urgency", &d.urgency, "flags", &d.flags, "cc", &d.cc, "bcc", &d.bcc)
               < 0
        || (!d.js == !d.j))
        return flux::make_error(EPROTO, "job-ingest.submit: expected {\"jobspec\": object or string}"
                                        " (cc and bcc: idset strings), or {\"J\": signed"
                                        " jobspec} instead of jobspec");
    if (auto r = unwrap(msg, d); !r)
        return r.error();
    if (d.urgency < 0 || d.urgency > urgency_max)
        return flux::make_error(EINVAL, "urgency must be between 0 and 31");
    if (d.cc || d.bcc) {
        if (d.cc && d.bcc)
            return flux::make_error(EINVAL, "cc and bcc are mutually exclusive");
        std::string err;
        d.ccset = flux::IdSet::parse(d.cc ? d.cc : d.bcc, &err);
        if (!d.ccset || d.ccset->empty())
            return flux::make_error(EINVAL, std::string(d.cc ? "cc" : "bcc") + ": "
                                                + (err.empty() ? "empty idset" : err));
        if (d.ccset->count() > cc_max)
            return flux::make_error(E2BIG, std::string(d.cc ? "cc" : "bcc") + ": at most "
                                               + std::to_string(cc_max)
                                               + " copies per request");
    }
    if (json_is_string(d.js) && json_string_length(d.js) > jobspec_max)
        return flux::make_error(E2BIG, "jobspec is larger than 1 MiB");
    if (!json_is_string(d.js) && !json_is_object(d.js))
        return flux::make_error(EPROTO, "jobspec must be an object or a string");
    return d;
}

flux::Result<void> Ingest::unwrap(const flux_msg_t *msg, Decoded &d)
{
    bool owner = msg::rolemask(msg) & FLUX_ROLE_OWNER;
    if (!d.j) {
        /* A bare jobspec is the owner's shorthand for mechanism none. */
        if (!owner && !allow_guest_none_)
            return flux::make_error(EPERM, "only the instance owner may submit an unsigned"
                                           " jobspec (sign it: J)");
        return {};
    }
    if (strlen(d.j) > 2 * jobspec_max)
        return flux::make_error(E2BIG, "jobspec is larger than 1 MiB");
    auto u = flux::sign::unwrap(d.j);
    if (!u) {
        if (u.error().errnum == EHOSTUNREACH)
            broker_.log(LOG_ERR, "job-ingest: %s", u.error().text.c_str());
        return flux::make_error(u.error().errnum, u.error().text);
    }
    d.mech = u->mechanism;
    if (u->mechanism == flux::sign::Mechanism::none && !owner && !allow_guest_none_)
        return flux::make_error(EPERM, "J: mechanism none is accepted only from the instance"
                                       " owner (sign with munge: is munged running?)");
    if (u->userid != msg::userid(msg))
        return flux::make_error(EPERM, "J: signed for userid " + std::to_string(u->userid)
                                           + " but submitted by userid "
                                           + std::to_string(msg::userid(msg)));
    if (u->payload.size() > jobspec_max)
        return flux::make_error(E2BIG, "jobspec is larger than 1 MiB");
    d.jobspec_bytes = std::move(u->payload);
    /* JSON object text is taken as an object (and stored as it is), any
     * other text as YAML, as for {"jobspec": string}. */
    json_error_t jerr;
    std::string_view b = d.jobspec_bytes;
    size_t first = b.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && b[first] == '{')
        d.unwrapped.reset(json_loadb(b.data(), b.size(), JSON_ALLOW_NUL, &jerr));
    if (!json_is_object(d.unwrapped.get())) {
        if (!d.unwrapped && first != std::string_view::npos && b[first] == '{'
            && strstr(jerr.text, "depth"))
            return flux::make_error(EINVAL, "jobspec nesting too deep (" + std::string(jerr.text)
                                                + ")");
        d.unwrapped.reset(json_stringn(b.data(), b.size()));
        if (!d.unwrapped) /* not UTF-8: the jobspec check names the byte */
            d.unwrapped.reset(json_stringn_nocheck(b.data(), b.size()));
    }
    d.js = d.unwrapped.get();
    return {};
}

flux::Result<std::shared_ptr<const Ingest::Validated>> Ingest::validate(const flux_msg_t *msg)
{
    if (auto v = cached(msg))
        return v;
    auto d = decode(msg);
    if (!d)
        return d.error();
    auto v = finish(msg, *d, nullptr);
    if (!v)
        return v.error();
    remember(*v);
    return std::shared_ptr<const Validated>(*v);
}

flux::Result<std::shared_ptr<Ingest::Validated>> Ingest::finish(const flux_msg_t *msg, Decoded &d,
                                                               json_t *frobbed)
{
    json_t *js = frobbed ? frobbed : d.js;
    const char *cc = d.cc;
    flux::Result<flux::Jobspec> parsed = flux::make_error(EINVAL, "");
    if (json_is_string(js))
        parsed = flux::jobspec_parse(std::string_view(json_string_value(js),
                                                      json_string_length(js)));
    else if (json_is_object(js))
        parsed = flux::jobspec_parse_json(js);
    else
        return flux::make_error(EPROTO, "jobspec must be an object or a string");
    if (!parsed) {
        /* "jobspec is empty", "jobspec nesting too deep ..." say it already. */
        const std::string &why = parsed.error().text;
        return flux::make_error(EINVAL, why.starts_with("jobspec ") ? why
                                                                     : "invalid jobspec: " + why);
    }
    /* The general RFC 14 form (slots above node, racks, memory, site
     * types) is taken only when the graph scheduler will match it; it then
     * answers feasibility.check for it like for any jobspec. */
    if (!parsed->v1 && !scheduler_takes_general_jobspec())
        return flux::make_error(EINVAL, "unsupported jobspec: " + parsed->v1_error);
    if (!queues_) {
        /* No named queues configured: only the default one. */
        if (!parsed->queue.empty() && parsed->queue != "default")
            return flux::make_error(EINVAL, "invalid queue '" + parsed->queue
                                                + "': this instance has no named queues"
                                                  " (only 'default')");
    }
    else if (!json_is_object(json_object_get(queues_.get(), parsed->queue.c_str()))) {
        std::string names;
        const char *name;
        json_t *q;
        json_object_foreach(queues_.get(), name, q)
        {
            names += names.empty() ? "" : ", ";
            names += name;
        }
        if (parsed->queue.empty())
            return flux::make_error(EINVAL, "no queue specified (queues: " + names + ")");
        return flux::make_error(EINVAL, "invalid queue '" + parsed->queue + "' (queues: " + names
                                            + ")");
    }
    /* A JSON jobspec is kept as submitted (as in Flux); YAML is converted. */
    flux::JsonPtr stored;
    if (json_is_object(js))
        stored = flux::JsonPtr(json_incref(js));
    else {
        auto canonical = flux::jobspec_to_json(*parsed);
        if (!canonical)
            return flux::make_error(EINVAL, "invalid jobspec: " + canonical.error().text);
        stored = std::move(*canonical);
    }
    auto v = std::make_shared<Validated>();
    v->payload = msg::payload(msg);
    v->userid = msg::userid(msg);
    v->rolemask = msg::rolemask(msg) & FLUX_ROLE_OWNER;
    NewJob &job = v->tmpl;
    if (d.ccset) {
        v->cc = std::move(d.ccset);
        if (cc) {
            /* The copies differ in FLUX_JOB_CC alone: encode once with a
             * mark for its value, then splice each id in. */
            flux::JsonPtr copy(json_deep_copy(stored.get()));
            json_t *attrs = copy ? json_object_get(copy.get(), "attributes") : nullptr;
            json_t *sys = json_object_get(attrs, "system");
            json_t *env = json_object_get(sys, "environment");
            if (!env && sys && json_object_set_new(sys, "environment", json_object()) == 0)
                env = json_object_get(sys, "environment");
            if (!json_is_object(env)
                || json_object_set_new(env, "FLUX_JOB_CC", json_string(cc_mark)) < 0)
                return flux::make_error(EINVAL, "cc: cannot set FLUX_JOB_CC in the jobspec");
            v->jobspec_text = dump(copy.get());
            flux::JsonPtr mark_value(json_string(cc_mark));
            std::string mark = dump(mark_value.get()); /* as it stands in the text */
            size_t at = v->jobspec_text.find(mark);
            if (at == std::string::npos || v->jobspec_text.find(mark, at + 1) != std::string::npos)
                return flux::make_error(EINVAL, "cc: the jobspec may not hold the text " + mark);
            v->cc_at = at;
            v->cc_len = mark.size();
        }
        else
            v->jobspec_text = dump(stored.get());
    }
    else if (d.j && !frobbed && json_is_object(js))
        v->jobspec_text = d.jobspec_bytes; /* as submitted (and signed) */
    else if (auto slice = !d.j && !frobbed && json_is_object(js)
                              ? jobspec_slice(msg::payload(msg), d.whole.get())
                              : std::nullopt)
        v->jobspec_text = std::string(*slice);
    else
        v->jobspec_text = dump(stored.get());
    /* Encoded once as the KVS value (a JSON string), shared by copies.  A
     * job of the instance owner's uid signed with mechanism none (or bare)
     * stores no J: it proves nothing, no reader needs it (the IMP never
     * starts the owner's jobs), and `flux job info ID J` derives it from
     * the stored jobspec; writing it cost a third of the submit rate. */
    bool owner_none = msg::userid(msg) == getuid() && d.mech == flux::sign::Mechanism::none;
    if (owner_none)
        ;
    else if (d.j)
        v->j = std::make_shared<const std::string>(kvs_string_op("", d.j).value);
    else {
        auto j = flux::sign::wrap(v->jobspec_text, msg::userid(msg), flux::sign::Mechanism::none);
        if (!j)
            return flux::make_error(j.error().errnum, j.error().text);
        v->j = std::make_shared<const std::string>(kvs_string_op("", *j).value);
    }
    v->munge = d.mech == flux::sign::Mechanism::munge;
    job.sched_text = std::make_shared<const std::string>(sched_subset(stored.get()));
    job.urgency = d.urgency;
    job.flags = d.flags;
    job.name = job_name(stored.get());
    job.ntasks = parsed->ntasks;
    job.nnodes = parsed->nnodes;
    job.tasks_per_node = flux::jobspec_tasks_per_node(*parsed);
    job.duration = parsed->duration;
    job.test_run_duration = test_run_duration(stored.get());
    job.queue = parsed->queue;
    job.dependencies = job_dependencies(stored.get());
    job.cwd = jobspec_system_string(stored.get(), "cwd");
    job.project = jobspec_system_string(stored.get(), "project");
    job.bank = jobspec_system_string(stored.get(), "bank");
    v->nslots = parsed->nslots;
    v->ncores = parsed->nslots * parsed->cores_per_slot;
    v->ngpus = parsed->nslots * parsed->gpus_per_slot;
    v->queue = parsed->queue;
    job.queue = parsed->queue;
    return v;
}

void Ingest::submit_ready(const flux_msg_t *msg)
{
    if (chain_->has(IngestChain::frobnicator) || chain_->has(IngestChain::validator)) {
        submit_chain(msg);
        return;
    }
    auto v = validate(msg);
    std::shared_ptr<Feasibility> f;
    if (v && chain_->feasibility())
        f = feasibility((*v)->tmpl.sched_text);
    if (waiting_.empty() && (!f || f->known)) {
        proceed(msg, v, f.get());
        return;
    }
    waiting_.push_back(Waiting{
        std::shared_ptr<const flux_msg_t>(flux_msg_incref(msg), flux_msg_decref), v, f, nullptr});
}

/* The site's chain: frobnicators on the decoded jobspec, the jobspec
 * checks, validators, then feasibility.  The submission takes its place in
 * waiting_ at once, so that answers and ids keep the order of arrival
 * whatever each job's plugins take. */
void Ingest::submit_chain(const flux_msg_t *msg)
{
    auto req = std::shared_ptr<const flux_msg_t>(flux_msg_incref(msg), flux_msg_decref);
    auto run = std::make_shared<ChainRun>();
    waiting_.push_back(Waiting{req, flux::make_error(EAGAIN, ""), nullptr, run});
    if (chain_->cacheable()) {
        if (auto v = cached(msg)) {
            chain_done(run, std::shared_ptr<const Validated>(v));
            return;
        }
    }
    auto d = decode(msg);
    if (!d) {
        chain_done(run, d.error());
        return;
    }
    auto dec = std::make_shared<Decoded>(std::move(*d));
    auto job = std::make_shared<IngestJob>();
    job->userid = msg::userid(msg);
    job->rolemask = msg::rolemask(msg);
    job->urgency = dec->urgency;
    job->flags = dec->flags;
    if (json_is_object(dec->js))
        job->jobspec.reset(json_incref(dec->js));
    else {
        /* YAML (or JSON text): frobnicators see the object it makes. */
        auto parsed = flux::jobspec_parse(std::string_view(json_string_value(dec->js),
                                                           json_string_length(dec->js)));
        flux::Result<flux::JsonPtr> obj = parsed ? flux::jobspec_to_json(*parsed)
                                                 : flux::Result<flux::JsonPtr>(parsed.error());
        if (!obj) {
            auto v = finish(req.get(), *dec, nullptr); /* its error, worded as always */
            chain_done(run, v ? flux::make_error(EINVAL, "invalid jobspec: " + obj.error().text)
                              : v.error());
            return;
        }
        job->jobspec = std::move(*obj);
    }
    std::weak_ptr<ChainRun> wrun = run;
    chain_->run(IngestChain::frobnicator, job, [this, wrun, req, dec, job](flux::Result<void> r) {
        auto run = wrun.lock();
        if (!run)
            return;
        if (!r) {
            chain_done(run, r.error());
            return;
        }
        auto v = finish(req.get(), *dec,
                        chain_->has(IngestChain::frobnicator) ? job->jobspec.get() : nullptr);
        if (!v) {
            chain_done(run, v.error());
            return;
        }
        std::shared_ptr<const Validated> val = *v;
        job->nnodes = val->tmpl.nnodes;
        job->ntasks = val->tmpl.ntasks;
        job->duration = val->tmpl.duration;
        job->nslots = val->nslots;
        job->ncores = val->ncores;
        job->ngpus = val->ngpus;
        job->queue = val->queue;
        chain_->run(IngestChain::validator, job, [this, wrun, val](flux::Result<void> r) {
            auto run = wrun.lock();
            if (!run)
                return;
            if (!r) {
                chain_done(run, r.error());
                return;
            }
            if (chain_->cacheable())
                remember(val);
            chain_done(run, val);
        });
    });
}

void Ingest::chain_done(const std::shared_ptr<ChainRun> &run,
                        flux::Result<std::shared_ptr<const Validated>> v)
{
    if (v && chain_->feasibility())
        run->feas = feasibility((*v)->tmpl.sched_text);
    run->val.emplace(std::move(v));
    run->done = true;
    drain_waiting();
}

void Ingest::proceed(const flux_msg_t *msg, const flux::Result<std::shared_ptr<const Validated>> &v,
                     const Feasibility *f)
{
    if (!v) {
        broker_.respond_error(msg, v.error().errnum, v.error().text);
        return;
    }
    if (f && f->errnum != 0) {
        broker_.respond_error(msg, f->errnum, f->error);
        return;
    }
    const Validated &val = **v;
    if (val.tmpl.urgency == urgency_max && !(msg::rolemask(msg) & FLUX_ROLE_OWNER)) {
        broker_.respond_error(msg, EPERM, "only the instance owner may expedite a job");
        return;
    }
    /* Zombies of guests' jobs would pile up unwaited in a system instance. */
    if ((val.tmpl.flags & FLUX_JOB_WAITABLE) && !(msg::rolemask(msg) & FLUX_ROLE_OWNER)) {
        broker_.respond_error(msg, EPERM, "only the instance owner may submit with"
                                          " FLUX_JOB_WAITABLE (--flags=waitable)");
        return;
    }
    if (val.tmpl.urgency > urgency_default && !(msg::rolemask(msg) & FLUX_ROLE_OWNER)) {
        broker_.respond_error(msg, EPERM,
                              "guests may not submit with urgency above "
                                  + std::to_string(urgency_default));
        return;
    }
    if (queue_check_) {
        if (auto r = queue_check_(val.queue); !r) {
            broker_.respond_error(msg, r.error().errnum, r.error().text);
            return;
        }
    }
    if (val.cc) {
        submit_array(msg, val);
        return;
    }
    auto id = fluid_->next();
    if (!id) {
        broker_.respond_error(msg, id.error().errnum, "job id: " + id.error().text);
        return;
    }
    double t = broker_.now();
    auto line = submit_event(msg, val, t);
    if (!line) {
        broker_.respond_error(msg, EINVAL, line.error().text);
        return;
    }
    if (validator_) {
        if (auto r = validator_(*id, msg::userid(msg), val.tmpl.urgency, val.tmpl.flags,
                                val.jobspec_text);
            !r) {
            broker_.respond_error(msg, r.error().errnum, r.error().text);
            return;
        }
    }
    add_job(msg, val, *id, t, val.jobspec_text, *line, nullptr, true);
}

flux::Result<std::string> Ingest::submit_event(const flux_msg_t *msg, const Validated &val,
                                               double t)
{
    auto entry = flux::eventlog_entry_create(
        t, "submit",
        json_pack("{s:i s:i s:i s:i}", "userid", (int)msg::userid(msg), "urgency", val.tmpl.urgency,
                  "flags", val.tmpl.flags, "version", 1));
    return flux::eventlog_entry_encode(entry);
}

void Ingest::add_job(const flux_msg_t *msg, const Validated &val, uint64_t id, double t,
                     std::string jobspec_text, const std::string &line,
                     std::shared_ptr<std::vector<uint64_t>> array, bool last)
{
    std::string key = job_key(id);
    KvsOp op;
    op.key = key + ".jobspec";
    op.value = std::move(jobspec_text);
    batch_ops_.push_back(std::move(op));
    if (val.j) {
        KvsOp jop;
        jop.key = key + ".J";
        jop.value = *val.j;
        batch_ops_.push_back(std::move(jop));
    }
    batch_ops_.push_back(kvs_eventlog_op(key + ".eventlog", line));

    Accepted a;
    a.req = std::shared_ptr<const flux_msg_t>(flux_msg_incref(msg), flux_msg_decref);
    a.job = val.tmpl;
    a.job.id = id;
    a.job.userid = msg::userid(msg);
    a.job.t_submit = t;
    a.array = std::move(array);
    a.last = last;
    batch_.push_back(std::move(a));
    if (batch_.size() == 1)
        event_active(batch_ev_.get(), 0, 0);
}

/* A job array: every id first (so a failure adds nothing), then the jobs. */
void Ingest::submit_array(const flux_msg_t *msg, const Validated &val)
{
    auto ids = std::make_shared<std::vector<uint64_t>>();
    ids->reserve(val.cc->count());
    for (size_t i = 0; i < val.cc->count(); i++) {
        auto id = fluid_->next();
        if (!id) {
            broker_.respond_error(msg, id.error().errnum, "job id: " + id.error().text);
            return;
        }
        ids->push_back(*id);
    }
    double t = broker_.now();
    auto line = submit_event(msg, val, t);
    if (!line) {
        broker_.respond_error(msg, EINVAL, line.error().text);
        return;
    }
    auto copy_text = [&](uint32_t cc) {
        std::string text;
        if (val.cc_len > 0) {
            std::string value = std::to_string(cc);
            text.reserve(val.jobspec_text.size() + value.size());
            text.append(val.jobspec_text, 0, val.cc_at);
            text += '"';
            text += value;
            text += '"';
            text.append(val.jobspec_text, val.cc_at + val.cc_len);
        }
        else
            text = val.jobspec_text;
        return text;
    };
    if (validator_ && !ids->empty()) {
        uint32_t first = 0;
        val.cc->for_each([&, done = false](uint32_t cc) mutable {
            if (!done)
                first = cc;
            done = true;
        });
        if (auto r = validator_((*ids)[0], msg::userid(msg), val.tmpl.urgency, val.tmpl.flags,
                                copy_text(first));
            !r) {
            broker_.respond_error(msg, r.error().errnum, r.error().text);
            return;
        }
    }
    size_t n = 0;
    val.cc->for_each([&](uint32_t cc) {
        add_job(msg, val, (*ids)[n], t, copy_text(cc), *line, ids, n + 1 == ids->size());
        n++;
    });
}

/* One commit for the submissions of this loop iteration; each is answered
 * (and handed to the job manager) only once it is durable. */
void Ingest::commit_batch()
{
    if (batch_.empty())
        return;
    auto jobs = std::make_shared<std::vector<Accepted>>(std::move(batch_));
    batch_.clear();
    std::vector<KvsOp> ops = std::move(batch_ops_);
    batch_ops_.clear();
    broker_.kvs()->commit("primary", std::move(ops), [this, jobs](const flux::Result<uint64_t> &r) {
        for (auto &a : *jobs) {
            if (!r) {
                if (a.last)
                    broker_.respond_error(a.req.get(), r.error().errnum,
                                          "job-ingest: " + r.error().text);
                continue;
            }
            if (!a.array)
                broker_.respond(a.req.get(), json_pack("{s:I}", "id", (json_int_t)a.job.id));
            else if (a.last) {
                json_t *ids = json_array();
                for (uint64_t id : *a.array)
                    json_array_append_new(ids, json_integer((json_int_t)id));
                broker_.respond(a.req.get(), json_pack("{s:o}", "ids", ids));
            }
            if (notify_)
                notify_(std::move(a.job));
        }
    });
}

} // namespace fluxd
