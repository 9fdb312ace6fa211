/* slurm_steps.cpp - step numbers and step records (slurm_steps.h). */
#include "slurm_steps.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>

#include "slurm_job.h"
#include "slurm_state.h"

namespace slurm {

namespace {

/* KEY below job.<N> of the holding instance, or at the root of the
 * allocation's own instance (whose whole KVS is the allocation's). */
std::string place_key(const StepPlace &p, const char *key, bool own_instance)
{
    if (own_instance)
        return std::string("slurm.") + key;
    char buf[128];
    std::string k = std::string("guest.slurm.") + key;
    if (flux_job_kvs_key(buf, sizeof(buf), p.alloc, k.c_str()) < 0)
        return "";
    return buf;
}

bool append(flux_t *h, const std::string &key, const std::string &text)
{
    flux_kvs_txn_t *txn = flux_kvs_txn_create();
    if (!txn || flux_kvs_txn_put_string(txn, FLUX_KVS_APPEND, key.c_str(), text.c_str()) < 0) {
        flux_kvs_txn_destroy(txn);
        return false;
    }
    flux_future_t *f = flux_kvs_commit(h, nullptr, 0, txn);
    bool ok = f && flux_rpc_get(f, nullptr) == 0;
    flux_future_destroy(f);
    flux_kvs_txn_destroy(txn);
    return ok;
}

std::string get_string(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

} // namespace

StepPlace step_place(flux_t *h)
{
    StepPlace p;
    const char *env = getenv("SLURM_JOB_ID");
    flux_jobid_t alloc;
    if (!env || !*env || flux_job_id_parse(env, &alloc) < 0)
        return p;
    p.alloc = alloc;
    const char *own = flux_attr_get(h, "jobid");
    flux_jobid_t ownid;
    p.in_child = own && flux_job_id_parse(own, &ownid) == 0 && ownid == alloc;
    return p;
}

flux_t *cluster_handle(flux_t *h)
{
    if (StepPlace p = step_place(h); p.valid() && p.in_child) {
        const char *uri = flux_attr_get(h, "parent-uri");
        if (flux_t *parent = uri ? flux_open(uri, 0) : nullptr) {
            flux_close(h);
            return parent;
        }
    }
    return h;
}

int step_claim(flux_t *h, const StepPlace &p)
{
    /* Append a token unique to this srun, read the list back: its line
     * number is the step.  Appends are ordered by the KVS, so concurrent
     * sruns get distinct numbers. */
    char host[256] = "";
    gethostname(host, sizeof(host) - 1);
    std::random_device rd;
    std::string token = std::string(host) + ":" + std::to_string(getpid()) + ":"
                        + std::to_string(((uint64_t)rd() << 32) | rd());
    std::string key = place_key(p, "stepseq", p.in_child);
    if (key.empty() || !append(h, key, token + "\n"))
        return -1;
    flux_future_t *f = flux_kvs_lookup(h, nullptr, 0, key.c_str());
    const char *value;
    if (!f || flux_kvs_lookup_get(f, &value) < 0) {
        flux_future_destroy(f);
        return -1;
    }
    json_t *s = json_loads(value, JSON_DECODE_ANY, nullptr);
    const char *text = json_string_value(s);
    int line = -1;
    if (text) {
        int n = 0;
        for (const char *l = text; *l;) {
            const char *nl = strchr(l, '\n');
            size_t len = nl ? (size_t)(nl - l) : strlen(l);
            if (std::string(l, len) == token) {
                line = n;
                break;
            }
            n++;
            l += len + (nl ? 1 : 0);
        }
    }
    json_decref(s);
    flux_future_destroy(f);
    if (line < 0) {
        errno = EPROTO;
        return -1;
    }
    /* Outside a batch/salloc instance the allocation is an srun job,
     * which is step 0 itself. */
    return p.in_child ? line : line + 1;
}

bool step_record(flux_t *h, const StepPlace &p, int step, flux_jobid_t id)
{
    flux_future_t *f = flux_job_list_ids(h, &id, 1, nullptr);
    json_t *jobs;
    if (!f || flux_job_list_get(f, &jobs) < 0 || json_array_size(jobs) != 1) {
        flux_future_destroy(f);
        return false;
    }
    json_t *job = json_array_get(jobs, 0);
    StepRecord r;
    r.step = step;
    r.name = get_string(job, "name");
    r.state = job_state(job).name;
    r.exitcode = exit_code_pair(job);
    r.nodelist = get_string(job, "nodelist");
    json_int_t ntasks = 0, ncores = 0, nnodes = 0;
    double t_run = 0, t_cleanup = 0;
    json_unpack(job, "{s?I s?I s?I s?F s?F}", "ntasks", &ntasks, "ncores", &ncores, "nnodes",
                &nnodes, "t_run", &t_run, "t_cleanup", &t_cleanup);
    r.ntasks = ntasks;
    r.ncpus = ncores > 0 ? ncores : ntasks;
    r.nnodes = nnodes;
    r.start = t_run;
    /* A step still running is recorded with no end (sacct: RUNNING,
     * End Unknown); its final record follows. */
    r.end = t_cleanup > 0 ? t_cleanup : (r.state == "RUNNING" ? 0 : (double)time(nullptr));
    r.jobid = id;
    r.inner = p.in_child;
    flux_future_destroy(f);

    flux_t *target = h;
    if (p.in_child) {
        const char *uri = flux_attr_get(h, "parent-uri");
        if (!uri || !(target = flux_open(uri, 0)))
            return false;
    }
    bool ok = append(target, place_key(p, "steps", false), step_line(r) + "\n");
    if (target != h)
        flux_close(target);
    return ok;
}

std::string step_line(const StepRecord &r)
{
    json_t *o = json_pack("{s:i s:s s:s s:s s:s s:I s:I s:I s:f s:f s:I s:b}", "step", r.step,
                          "name", r.name.c_str(), "state", r.state.c_str(), "exitcode",
                          r.exitcode.c_str(), "nodelist", r.nodelist.c_str(), "ntasks",
                          (json_int_t)r.ntasks, "ncpus", (json_int_t)r.ncpus, "nnodes",
                          (json_int_t)r.nnodes, "start", r.start, "end", r.end, "jobid",
                          (json_int_t)r.jobid, "inner", r.inner);
    char *s = o ? json_dumps(o, JSON_COMPACT) : nullptr;
    std::string line = s ? s : "";
    free(s);
    json_decref(o);
    return line;
}

int step_kill(flux_t *h, flux_jobid_t alloc, bool running, bool srun_job, int step, int signum,
              bool *whole, std::string *err)
{
    *whole = false;
    if (!running) {
        *err = "Job/step already completing or completed";
        return -1;
    }
    flux_future_t *f = flux_job_lookup(h, alloc, "guest.slurm.steps");
    const char *text = nullptr;
    std::vector<StepRecord> recs;
    if (f && flux_job_lookup_get(f, &text) == 0) {
        json_t *v = json_loads(text, JSON_DECODE_ANY, nullptr);
        recs = steps_parse(json_string_value(v));
        json_decref(v);
    }
    flux_future_destroy(f);
    const StepRecord *rec = nullptr;
    for (const auto &r : recs)
        if (r.step == step)
            rec = &r;
    if (!rec) {
        if (step == 0 && srun_job) {
            *whole = true;
            return 0;
        }
        *err = "Invalid job id specified";
        return -1;
    }
    if (rec->end > 0) {
        *err = "Job/step already completing or completed";
        return -1;
    }
    if (rec->jobid == 0) {
        *err = "the step was started by an older srun (no job id recorded)";
        return -1;
    }
    flux_t *target = h;
    if (rec->inner) {
        f = flux_job_lookup(h, alloc, "guest.uri");
        const char *uri = nullptr;
        if (!f || flux_job_lookup_get_unpack(f, "s", &uri) < 0 || !uri
            || !(target = flux_open(uri, 0))) {
            flux_future_destroy(f);
            *err = "cannot reach the allocation's instance";
            return -1;
        }
        flux_future_destroy(f);
    }
    f = signum ? flux_job_kill(target, rec->jobid, signum)
               : flux_job_cancel(target, rec->jobid, "Cancelled by scancel");
    int rc = 0;
    if (!f || flux_rpc_get(f, nullptr) < 0) {
        *err = f ? flux_future_error_string(f) : strerror(errno);
        rc = -1;
    }
    flux_future_destroy(f);
    if (target != h)
        flux_close(target);
    return rc;
}

std::vector<StepRecord> steps_parse(const char *text)
{
    std::vector<StepRecord> v;
    for (const char *l = text ? text : ""; *l;) {
        const char *nl = strchr(l, '\n');
        size_t len = nl ? (size_t)(nl - l) : strlen(l);
        json_t *o = json_loadb(l, len, 0, nullptr);
        StepRecord r;
        const char *name = "", *state = "", *exitcode = "", *nodelist = "";
        json_int_t ntasks = 0, ncpus = 0, nnodes = 0;
        if (o
            && json_unpack(o, "{s:i s:s s:s s:s s:s s:I s:I s:I s:F s:F}", "step", &r.step, "name",
                           &name, "state", &state, "exitcode", &exitcode, "nodelist", &nodelist,
                           "ntasks", &ntasks, "ncpus", &ncpus, "nnodes", &nnodes, "start",
                           &r.start, "end", &r.end)
                   == 0
            && r.step >= 0) {
            json_int_t jobid = 0;
            int inner = 0;
            json_unpack(o, "{s?I s?b}", "jobid", &jobid, "inner", &inner);
            r.jobid = (flux_jobid_t)jobid;
            r.inner = inner;
            r.name = name;
            r.state = state;
            r.exitcode = exitcode;
            r.nodelist = nodelist;
            r.ntasks = ntasks;
            r.ncpus = ncpus;
            r.nnodes = nnodes;
            v.push_back(r);
        }
        json_decref(o);
        l += len + (nl ? 1 : 0);
    }
    std::stable_sort(v.begin(), v.end(),
                     [](const StepRecord &a, const StepRecord &b) { return a.step < b.step; });
    /* A step's later record (its end) replaces its earlier one (its start). */
    std::vector<StepRecord> last;
    for (auto &r : v) {
        if (!last.empty() && last.back().step == r.step)
            last.back() = std::move(r);
        else
            last.push_back(std::move(r));
    }
    return last;
}

} // namespace slurm
