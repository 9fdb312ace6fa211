/* ingest.cpp - job-ingest (rank 0).
 *
 * Topic job-ingest.submit {jobspec: object | string (JSON or YAML),
 *                          urgency?: 0-31 (default 16), flags?: int}
 *   -> {id}   once job.<id>.jobspec and job.<id>.eventlog (the submit event)
 *             are durable in the KVS.
 * Jobspecs are validated against RFC 14 (and RFC 25 V1); errors name the
 * offending path.  Only the instance owner may expedite (urgency 31).
 *
 * Job ids are FLUIDs (RFC 19) from generator 0 with an epoch chosen when the
 * instance first starts and kept in the KVS (job-ingest.epoch), so ids keep
 * increasing across restarts of an instance with the same statedir.
 */
#include <cerrno>
#include <sys/time.h>
#include <syslog.h>

#include <cstring>

#include "eventlog/eventlog.h"
#include "fsd/fsd.h"
#include "fluxd/broker.h"
#include "fluxd/kvs/kvs.h"
#include "fluxd/resource/resource.h"
#include "ingest.h"
#include "jobspec/jobspec.h"
#include "libflux/message_internal.h"

namespace fluxd {

namespace {

constexpr int urgency_default = 16;
constexpr int urgency_max = 31;
constexpr size_t jobspec_max = 1024 * 1024;

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

std::string Ingest::job_key(uint64_t id)
{
    return "job." + flux::fluid_encode(id, flux::FluidFormat::dothex);
}

flux::Result<std::unique_ptr<Ingest>> Ingest::create(Broker &broker, Notify notify)
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
    std::unique_ptr<Ingest> in(new Ingest(broker, std::move(notify)));
    in->fluid_.emplace(std::move(*gen));
    broker.add_builtin("job-ingest.submit", FLUX_ROLE_USER,
                       [p = in.get()](const flux_msg_t *m, Link *) { p->submit(m); });
    broker.add_builtin("job-ingest.ping", FLUX_ROLE_USER, [&broker](const flux_msg_t *m, Link *) {
        broker.respond(m, json_object());
    });
    return in;
}

std::string Ingest::check_feasible(const flux::Jobspec &js)
{
    Resource *res = broker_.resource();
    if (!res)
        return "";
    if (!pool_ || pool_generation_ != res->generation()) {
        pool_ = std::make_unique<flux::sched::Pool>(res->schedulable());
        pool_generation_ = res->generation();
    }
    auto req = flux::sched::request_from_jobspec(js);
    if (!req)
        return req.error().text;
    if (auto ok = pool_->feasible(*req); !ok)
        return ok.error().text;
    return "";
}

void Ingest::submit(const flux_msg_t *msg)
{
    /* Feasibility needs every rank's resources: hold submissions that
     * arrive while they are still being discovered. */
    Resource *res = broker_.resource();
    if (res) {
        std::shared_ptr<const flux_msg_t> req(flux_msg_incref(msg), flux_msg_decref);
        res->when_ready([this, req]() { submit_ready(req.get()); });
        return;
    }
    submit_ready(msg);
}

void Ingest::submit_ready(const flux_msg_t *msg)
{
    json_t *js = nullptr;
    int urgency = urgency_default, flags = 0;
    if (flux_msg_unpack(msg, "{s:o s?i s?i}", "jobspec", &js, "urgency", &urgency, "flags", &flags)
        < 0) {
        broker_.respond_error(msg, EPROTO,
                              "job-ingest.submit: expected {\"jobspec\": object or string}");
        return;
    }
    if (urgency < 0 || urgency > urgency_max) {
        broker_.respond_error(msg, EINVAL, "urgency must be between 0 and 31");
        return;
    }
    if (urgency == urgency_max && !(msg->rolemask & FLUX_ROLE_OWNER)) {
        broker_.respond_error(msg, EPERM, "only the instance owner may expedite a job");
        return;
    }
    flux::Result<flux::Jobspec> parsed = flux::make_error(EINVAL, "");
    if (json_is_string(js)) {
        if (json_string_length(js) > jobspec_max) {
            broker_.respond_error(msg, E2BIG, "jobspec is larger than 1 MiB");
            return;
        }
        parsed = flux::jobspec_parse(json_string_value(js));
    }
    else if (json_is_object(js))
        parsed = flux::jobspec_parse_json(js);
    else {
        broker_.respond_error(msg, EPROTO, "jobspec must be an object or a string");
        return;
    }
    if (!parsed) {
        broker_.respond_error(msg, EINVAL, "invalid jobspec: " + parsed.error().text);
        return;
    }
    if (!parsed->v1) {
        broker_.respond_error(msg, EINVAL, "unsupported jobspec: " + parsed->v1_error);
        return;
    }
    if (std::string why = check_feasible(*parsed); !why.empty()) {
        broker_.respond_error(msg, EOVERFLOW, why);
        return;
    }
    auto canonical = flux::jobspec_to_json(*parsed);
    if (!canonical) {
        broker_.respond_error(msg, EINVAL, "invalid jobspec: " + canonical.error().text);
        return;
    }
    auto id = fluid_->next();
    if (!id) {
        broker_.respond_error(msg, id.error().errnum, "job id: " + id.error().text);
        return;
    }
    double t = broker_.now();
    auto entry = flux::eventlog_entry_create(
        t, "submit",
        json_pack("{s:i s:i s:i s:i}", "userid", (int)msg->userid, "urgency", urgency, "flags",
                  flags, "version", 1));
    auto line = flux::eventlog_entry_encode(entry);
    if (!line) {
        broker_.respond_error(msg, EINVAL, line.error().text);
        return;
    }
    std::string key = job_key(*id);
    std::vector<KvsOp> ops(2);
    ops[0].key = key + ".jobspec";
    ops[0].value = dump(canonical->get());
    ops[1] = kvs_string_op(key + ".eventlog", *line);

    NewJob job;
    job.id = *id;
    job.userid = msg->userid;
    job.urgency = urgency;
    job.flags = flags;
    job.t_submit = t;
    job.name = job_name(canonical->get());
    job.ntasks = parsed->ntasks;
    job.nnodes = parsed->nnodes;
    job.duration = parsed->duration;
    job.test_run_duration = test_run_duration(canonical->get());
    if (auto req = flux::sched::request_from_jobspec(*parsed))
        job.request = *req;
    job.jobspec = flux::JsonPtr(json_incref(canonical->get()));
    std::shared_ptr<const flux_msg_t> req(flux_msg_incref(msg), flux_msg_decref);
    auto shared = std::make_shared<NewJob>(std::move(job));
    broker_.kvs()->commit("primary", std::move(ops),
                          [this, req, shared](const flux::Result<uint64_t> &r) {
                              if (!r) {
                                  broker_.respond_error(req.get(), r.error().errnum,
                                                        "job-ingest: " + r.error().text);
                                  return;
                              }
                              uint64_t jobid = shared->id;
                              broker_.respond(req.get(), json_pack("{s:I}", "id", (json_int_t)jobid));
                              if (notify_)
                                  notify_(std::move(*shared));
                          });
}

} // namespace fluxd
