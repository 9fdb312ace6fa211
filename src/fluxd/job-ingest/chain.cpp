/* chain.cpp - frobnicators and validators (chain.h): loading them from the
 * [ingest] config, running them in order on a submission, and the host side
 * of flux/ingest.h (flux_ingest_reject). */
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "flux/ingest.h"
#include "fsd/fsd.h"
#include "fluxd/service.h"
#include "libflux/plugin_internal.h"
#include "plugins/frobnicator/builtins.h"
#include "chain.h"

namespace fluxd {

namespace {

const flux::PluginKind ingest_kind = {"job-ingest plugin", "job-ingest",
                                      FLUX_INGEST_PLUGIN_INFO_SYMBOL, FLUX_INGEST_API_VERSION};

const char *role_word[2] = {"frobnicator", "validator"};
const char *role_topic[2] = {FLUX_INGEST_TOPIC_FROBNICATE, FLUX_INGEST_TOPIC_VALIDATE};

constexpr int workers_default = 4;
constexpr double timeout_default = 30;

std::string basename_of(const std::string &path)
{
    size_t slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string builtin_names(int role)
{
    std::string s = role == IngestChain::validator ? "jobspec, feasibility" : "";
    for (const flux_ingest_builtin *b = flux_ingest_builtins; b->name; b++) {
        if (b->role != role)
            continue;
        if (!s.empty())
            s += ", ";
        s += b->name;
    }
    return s;
}

/* The IN object of a call. */
json_t *call_args(const IngestJob &job, IngestChain::Role role)
{
    json_t *o = json_pack("{s:O s:i s:i s:i s:i}", "jobspec", job.jobspec.get(), "userid",
                          (int)job.userid, "rolemask", (int)job.rolemask, "urgency", job.urgency,
                          "flags", job.flags);
    if (o && role == IngestChain::validator) {
        json_t *more = json_pack("{s:I s:I s:I s:I s:I s:f s:s}", "nnodes", (json_int_t)job.nnodes,
                                 "nslots", (json_int_t)job.nslots, "ncores",
                                 (json_int_t)job.ncores, "ngpus", (json_int_t)job.ngpus, "ntasks",
                                 (json_int_t)job.ntasks, "duration", job.duration, "queue",
                                 job.queue.c_str());
        json_object_update(o, more);
        json_decref(more);
    }
    return o;
}

/* The line an executable gets: what Flux's workers read. */
std::string worker_line(const IngestJob &job)
{
    flux::JsonPtr o(json_pack("{s:O s:i s:i s:i s:i}", "jobspec", job.jobspec.get(), "userid",
                              (int)job.userid, "rolemask", (int)job.rolemask, "urgency",
                              job.urgency, "flags", job.flags));
    char *s = o ? json_dumps(o.get(), JSON_COMPACT) : nullptr;
    std::string line = s ? s : "{}";
    free(s);
    return line;
}

/* errnum/errstr of a rejection in an answer object (OUT or a worker's). */
flux::Error rejection(json_t *answer, int default_errnum, const std::string &default_text)
{
    int errnum = 0;
    const char *errstr = nullptr;
    json_unpack(answer, "{s?i s?s}", "errnum", &errnum, "errstr", &errstr);
    /* EPROTO would make the client hide the text ("malformed answer"). */
    if (errnum == EPROTO)
        errnum = EINVAL;
    return flux::make_error(errnum > 0 ? errnum : default_errnum,
                            errstr && *errstr ? errstr : default_text);
}

} // namespace

/* One submission going through one role's steps. */
struct IngestChain::Run {
    IngestChain *chain;
    Role role;
    std::shared_ptr<IngestJob> job;
    Done done;
    size_t next = 0;
};

IngestChain::IngestChain(ServiceHost &h) : host_(h) {}
IngestChain::~IngestChain() = default;

flux::Result<void> IngestChain::add(Role role, const std::string &entry, json_t *rconf,
                                    json_t *policy, json_t *queues, int workers, double timeout)
{
    std::string what = std::string("ingest.") + role_word[role] + ".plugins: ";
    if (role == validator && (entry == "jobspec" || entry == "feasibility"))
        return {};
    /* conf: [ingest.ROLE.NAME] + policy + queues */
    auto conf_for = [&](const std::string &name) {
        json_t *own = json_object_get(rconf, name.c_str());
        json_t *c = json_is_object(own) ? json_deep_copy(own) : json_object();
        if (c && policy && !json_object_get(c, "policy"))
            json_object_set(c, "policy", policy);
        if (c && queues && !json_object_get(c, "queues"))
            json_object_set(c, "queues", queues);
        return flux::JsonPtr(c);
    };
    Step st;
    if (entry.find('/') == std::string::npos) {
        const flux_ingest_builtin *b = flux_ingest_builtins;
        while (b->name && (entry != b->name || b->role != role))
            b++;
        if (!b->name)
            return flux::make_error(EINVAL, what + "unknown " + role_word[role] + " '" + entry
                                                + "' (built in: " + builtin_names(role)
                                                + "; or the path of a .so or of an executable)");
        auto conf = conf_for(entry);
        std::string err;
        if (b->check && !b->check(conf.get(), &err))
            return flux::make_error(EINVAL, err);
        auto p = flux_plugin::create(entry, b->init, conf.get(), this);
        if (!p)
            return flux::make_error(p.error().errnum, what + p.error().text);
        st.name = entry;
        st.plugin = std::move(*p);
    }
    else if (entry.size() > 3 && entry.compare(entry.size() - 3, 3, ".so") == 0) {
        /* The conf table is named after the file until the plugin says its
         * name: look both up. */
        std::string base = basename_of(entry.substr(0, entry.size() - 3));
        auto conf = conf_for(base);
        auto p = flux_plugin::load(entry, ingest_kind, conf.get(), this);
        if (!p)
            return flux::make_error(p.error().errnum, what + p.error().text);
        if ((*p)->name != base && json_is_object(json_object_get(rconf, (*p)->name.c_str()))) {
            conf = conf_for((*p)->name);
            p = flux_plugin::load(entry, ingest_kind, conf.get(), this);
            if (!p)
                return flux::make_error(p.error().errnum, what + p.error().text);
        }
        cacheable_ = false;
        st.name = (*p)->name;
        st.plugin = std::move(*p);
    }
    else {
        if (access(entry.c_str(), X_OK) < 0)
            return flux::make_error(errno, what + entry + ": " + strerror(errno));
        struct stat sb;
        if (stat(entry.c_str(), &sb) < 0 || !S_ISREG(sb.st_mode))
            return flux::make_error(EINVAL, what + entry + ": not a regular file");
        st.name = basename_of(entry);
        std::vector<std::string> argv = {entry};
        json_t *own = json_object_get(rconf, st.name.c_str());
        json_t *args = json_object_get(own, "args");
        size_t i;
        json_t *a;
        json_array_foreach(args, i, a)
        {
            if (!json_is_string(a))
                return flux::make_error(EINVAL, std::string("ingest.") + role_word[role] + "."
                                                    + st.name + ".args: expected strings");
            argv.push_back(json_string_value(a));
        }
        /* Its own time limit, if its table has one. */
        if (json_t *t = json_object_get(own, "timeout")) {
            std::string key = std::string("ingest.") + role_word[role] + "." + st.name + ".timeout";
            flux::Result<double> d = json_is_number(t) ? flux::Result<double>(json_number_value(t))
                                     : json_is_string(t) ? flux::fsd_parse(json_string_value(t))
                                                         : flux::make_error(EINVAL, "");
            if (!d || !(*d > 0))
                return flux::make_error(EINVAL, key + ": expected a positive duration (\"10s\")");
            timeout = *d;
        }
        cacheable_ = false;
        st.pool = std::make_unique<WorkerPool>(host_, std::string(role_word[role]) + " " + st.name,
                                               std::move(argv), workers, timeout);
    }
    if (st.plugin && !st.plugin->matches(role_topic[role]))
        return flux::make_error(EINVAL, what + entry + ": not a " + role_word[role]
                                            + " (it registers no " + role_topic[role]
                                            + " handler)");
    steps_[role].push_back(std::move(st));
    return {};
}

flux::Result<std::unique_ptr<IngestChain>> IngestChain::create(ServiceHost &host, json_t *conf,
                                                               json_t *policy, json_t *queues)
{
    std::unique_ptr<IngestChain> c(new IngestChain(host));
    for (Role role : {frobnicator, validator}) {
        json_t *rconf = json_object_get(conf, role_word[role]);
        json_t *plugins = json_object_get(rconf, "plugins");
        std::string key = std::string("ingest.") + role_word[role];
        if (rconf && !json_is_object(rconf))
            return flux::make_error(EINVAL, key + ": expected a table");
        if (plugins && !json_is_array(plugins))
            return flux::make_error(EINVAL, key + ".plugins: expected an array of names");
        int workers = workers_default;
        double timeout = timeout_default;
        if (json_t *w = json_object_get(rconf, "workers"))
            workers = (int)json_integer_value(w);
        if (json_t *t = json_object_get(rconf, "timeout"))
            timeout = json_number_value(t);
        if (workers < 1 || workers > 64)
            return flux::make_error(EINVAL, key + ".workers: must be 1-64");
        if (!(timeout > 0))
            return flux::make_error(EINVAL, key + ".timeout: must be a positive duration");
        if (role == validator && plugins)
            c->feasibility_ = false;
        size_t i;
        json_t *e;
        json_array_foreach(plugins, i, e)
        {
            const char *name = json_string_value(e);
            if (!name || !*name)
                return flux::make_error(EINVAL, key + ".plugins[" + std::to_string(i)
                                                    + "]: expected a non-empty string");
            if (role == validator && strcmp(name, "feasibility") == 0)
                c->feasibility_ = true;
            if (auto r = c->add(role, name, rconf, policy, queues, workers, timeout); !r)
                return r.error();
        }
    }
    return c;
}

void IngestChain::run(Role role, std::shared_ptr<IngestJob> job, Done done)
{
    auto r = std::make_shared<Run>();
    r->chain = this;
    r->role = role;
    r->job = std::move(job);
    r->done = std::move(done);
    advance(r);
}

/* Run steps until one answers later (a worker) or all are done. */
void IngestChain::advance(const std::shared_ptr<Run> &r)
{
    IngestChain &c = *r->chain;
    auto &steps = c.steps_[r->role];
    const char *word = role_word[r->role];
    while (r->next < steps.size()) {
        Step &st = steps[r->next++];
        if (st.pool) {
            st.pool->submit(worker_line(*r->job), [r, &st, word](flux::Result<flux::JsonPtr> a) {
                if (!a) {
                    r->done(a.error());
                    return;
                }
                json_t *answer = a->get();
                json_t *errnum = json_object_get(answer, "errnum");
                if (errnum && !json_is_integer(errnum)) {
                    r->done(flux::make_error(EINVAL, std::string(word) + " " + st.name
                                                         + ": invalid answer: errnum is not an "
                                                           "integer"));
                    return;
                }
                if (json_integer_value(errnum) != 0) {
                    r->done(rejection(answer, EINVAL,
                                      "rejected by " + std::string(word) + " " + st.name));
                    return;
                }
                if (r->role == frobnicator) {
                    json_t *js = json_object_get(answer, "jobspec");
                    if (!js)
                        js = json_object_get(answer, "data");
                    if (js && !json_is_object(js)) {
                        r->done(flux::make_error(EINVAL, std::string(word) + " " + st.name
                                                             + ": invalid answer: jobspec is not "
                                                               "an object"));
                        return;
                    }
                    if (js)
                        r->job->jobspec.reset(json_incref(js));
                }
                advance(r);
            });
            return;
        }
        flux_plugin_arg args;
        args.in.reset(call_args(*r->job, r->role));
        if (!args.in) {
            r->done(flux::make_error(ENOMEM, std::string(word) + " " + st.name + ": out of memory"));
            return;
        }
        int rc = st.plugin->call(role_topic[r->role], &args);
        if (rc < 0) {
            std::string dflt = r->role == validator ? "rejected by validator " + st.name
                                                    : "frobnicator " + st.name + " failed";
            if (!args.out && !args.error.empty())
                dflt += ": " + args.error;
            r->done(rejection(args.out.get(), EINVAL, dflt));
            return;
        }
        if (r->role == frobnicator) {
            json_t *js = json_object_get(args.out.get(), "jobspec");
            if (json_is_object(js))
                r->job->jobspec.reset(json_incref(js));
            else {
                /* Changed in place: the object in IN is the job's. */
                json_t *in_js = json_object_get(args.in.get(), "jobspec");
                if (json_is_object(in_js) && in_js != r->job->jobspec.get())
                    r->job->jobspec.reset(json_incref(in_js));
            }
        }
    }
    r->done({});
}

} // namespace fluxd

extern "C" int flux_ingest_reject(flux_plugin_arg_t *args, const char *fmt, ...)
{
    if (args) {
        std::string text;
        if (fmt) {
            va_list ap;
            va_start(ap, fmt);
            char *s = nullptr;
            if (vasprintf(&s, fmt, ap) >= 0 && s)
                text = s;
            free(s);
            va_end(ap);
        }
        if (!args->out)
            args->out.reset(json_object());
        json_object_set_new(args->out.get(), "errnum", json_integer(EINVAL));
        if (!text.empty())
            json_object_set_new(args->out.get(), "errstr", json_string(text.c_str()));
    }
    errno = EINVAL;
    return -1;
}
