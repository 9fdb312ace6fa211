/* slurm_jobspec.cpp - jobspecs from Slurm options (slurm_jobspec.h). */
#include "slurm_jobspec.h"

#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace slurm {

namespace {

json_t *resource(const char *type, int count, json_t *with)
{
    json_t *o = json_pack("{s:s s:i}", "type", type, "count", count);
    if (with)
        json_object_set_new(o, "with", with);
    return o;
}

/* -C: "a&b" or "a,b" all of them, "a|b" any of them. */
json_t *constraints(const std::string &c)
{
    auto split = [](const std::string &s, const char *seps) {
        std::vector<std::string> out;
        size_t start = 0;
        while (true) {
            size_t e = s.find_first_of(seps, start);
            out.push_back(s.substr(start, e == std::string::npos ? std::string::npos : e - start));
            if (e == std::string::npos)
                break;
            start = e + 1;
        }
        return out;
    };
    auto props = [](const std::vector<std::string> &names) {
        json_t *a = json_array();
        for (const auto &n : names)
            json_array_append_new(a, json_string(n.c_str()));
        return json_pack("{s:o}", "properties", a);
    };
    if (c.find('|') != std::string::npos) {
        json_t *any = json_array();
        for (const auto &p : split(c, "|"))
            json_array_append_new(any, props(split(p, "&,")));
        return json_pack("{s:o}", "or", any);
    }
    return props(split(c, "&,"));
}

} // namespace

std::vector<std::string> batch_command(const std::vector<std::string> &inner,
                                       const std::string &signal_forward)
{
    /* Where "flux broker" exists (the hierarchy: one broker per node,
     * booted over PMI) every task runs one and rank 0 runs INNER.
     * Otherwise task 0 runs a one-broker instance (flux start); on more
     * nodes the other tasks wait until task 0 ends and tells them (USR1
     * through the job's own signal). */
    static const char *outer =
        "f=$1; fw=$2; shift 2; "
        "if \"$f\" broker --help >/dev/null 2>&1; then "
        "exec \"$f\" broker ${fw:+-Sbroker.signal-forward=$fw} -- \"$@\"; fi; "
        "if [ \"${FLUX_TASK_RANK:-0}\" != 0 ]; then "
        "trap 'kill $p 2>/dev/null; exit 0' USR1 TERM; "
        "while :; do (trap '' USR1; exec sleep 3600) & p=$!; wait $p; done; fi; "
        "\"$f\" start --test-size=1 ${fw:+-Sbroker.signal-forward=$fw} \"$@\"; rc=$?; "
        "trap '' USR1; "
        "if [ \"${FLUX_JOB_NNODES:-1}\" -gt 1 ]; then "
        "\"$f\" job kill --signal=USR1 \"$FLUX_JOB_ID\"; fi; exit $rc";
    std::vector<std::string> cmd = {"/bin/sh", "-c", outer, "slurm-batch", find_flux(),
                                    signal_forward};
    cmd.insert(cmd.end(), inner.begin(), inner.end());
    return cmd;
}

std::string find_flux()
{
    const char *path = getenv("PATH");
    std::string p = path ? path : "/usr/bin:/bin";
    size_t start = 0;
    while (start <= p.size()) {
        size_t colon = p.find(':', start);
        std::string dir = p.substr(start, colon == std::string::npos ? std::string::npos
                                                                     : colon - start);
        std::string cand = (dir.empty() ? "." : dir) + "/flux";
        if (access(cand.c_str(), X_OK) == 0)
            return cand;
        if (colon == std::string::npos)
            break;
        start = colon + 1;
    }
    return "flux";
}

int options_ntasks(const Options &o)
{
    if (o.ntasks > 0)
        return o.ntasks;
    if (o.ntasks_per_node > 0)
        return (o.nodes > 0 ? o.nodes : 1) * o.ntasks_per_node;
    return o.nodes > 0 ? o.nodes : 1;
}

std::string build_jobspec(const Options &o, const std::vector<std::string> &command,
                          const Env &env, const JobspecExtra &x, Json &out)
{
    int ntasks = options_ntasks(o);
    int nodes = o.nodes;
    /* -w: the job's nodes are exactly the listed ones here (a constraint
     * can only narrow), so at least as many nodes as listed, as Slurm
     * raises -N, and never more. */
    if (o.nodelist_count > 0) {
        if (nodes > o.nodelist_count)
            return "error: Batch job submission failed: Requested node configuration is not "
                   "available (-N " + std::to_string(nodes) + " is more than the "
                   + std::to_string(o.nodelist_count) + " nodes of --nodelist=" + o.nodelist
                   + "; the job may only use the listed nodes)";
        nodes = o.nodelist_count;
        if (o.ntasks == 0)
            ntasks = o.ntasks_per_node > 0 ? nodes * o.ntasks_per_node : nodes;
    }
    if (o.exclusive && nodes == 0)
        nodes = 1;
    if (nodes > ntasks && o.ntasks > 0)
        return "error: Batch job submission failed: Requested node configuration is not "
               "available (-N " + std::to_string(nodes) + " is more than -n "
               + std::to_string(ntasks) + ")";
    if (nodes > ntasks)
        ntasks = nodes;
    if (o.ntasks_per_node > 0 && nodes > 0 && ntasks > nodes * o.ntasks_per_node)
        return "error: Batch job submission failed: Requested node configuration is not "
               "available (-n " + std::to_string(ntasks) + " > -N " + std::to_string(nodes)
               + " x --ntasks-per-node " + std::to_string(o.ntasks_per_node) + ")";
    int cpt = o.cpus_per_task > 0 ? o.cpus_per_task : 1;
    int slots_per_node = nodes > 0 ? (ntasks + nodes - 1) / nodes : ntasks;
    if (o.ntasks_per_node > 0 && nodes > 0)
        slots_per_node = o.ntasks_per_node;
    int gpt = o.gpus_per_task;
    if (gpt == 0 && o.gpus > 0)
        gpt = (o.gpus + ntasks - 1) / ntasks;
    if (gpt == 0 && o.gpus_per_node > 0) {
        int tpn = nodes > 0 ? slots_per_node : ntasks;
        gpt = (o.gpus_per_node + tpn - 1) / tpn;
    }
    /* A batch job on N nodes runs one instance broker per node: one slot
     * per node holding all of that node's cores and GPUs. */
    int per_slot = x.batch && nodes > 0 ? slots_per_node : 1;
    json_t *with = json_array();
    json_array_append_new(with, resource("core", cpt * per_slot, nullptr));
    if (gpt > 0)
        json_array_append_new(with, resource("gpu", gpt * per_slot, nullptr));
    /* Memory in each slot (MB): a scheduler with memory (sched-graph)
     * places the job by it and R carries it, sched-simple passes it by.
     * --mem-per-cpu: per CPU of the slot; --mem (per node): the node's
     * share of each slot on it (with -n alone, as if the tasks shared one
     * node). */
    int64_t slot_mb = 0;
    if (o.mem_per_cpu_mb > 0)
        slot_mb = o.mem_per_cpu_mb * cpt * per_slot;
    else if (o.mem_mb > 0) {
        int64_t share = x.batch && nodes > 0 ? 1 : nodes > 0 ? slots_per_node : ntasks;
        slot_mb = (o.mem_mb + share - 1) / std::max<int64_t>(share, 1);
    }
    if (slot_mb > 0) {
        json_t *mem = resource("memory", 0, nullptr);
        json_object_set_new(mem, "count", json_integer(slot_mb));
        json_object_set_new(mem, "unit", json_string("MB"));
        json_array_append_new(with, mem);
    }
    json_t *slot = resource("slot", x.batch && nodes > 0 ? 1 : nodes > 0 ? slots_per_node : ntasks,
                            with);
    json_object_set_new(slot, "label", json_string("task"));
    json_t *top = slot;
    if (nodes > 0) {
        top = resource("node", nodes, json_pack("[o]", slot));
        if (o.exclusive)
            json_object_set_new(top, "exclusive", json_true());
    }
    json_t *cmd = json_array();
    for (const auto &a : command)
        json_array_append_new(cmd, json_string(a.c_str()));
    json_t *count;
    if (x.batch && nodes == 0) /* -n alone: one broker per node the slots land on */
        count = json_pack("{s:{s:s s:i}}", "per_resource", "type", "node", "count", 1);
    else if (x.batch)
        count = json_pack("{s:i}", "per_slot", 1);
    else if (nodes > 0 && ntasks != nodes * slots_per_node)
        count = json_pack("{s:i}", "total", ntasks);
    else
        count = json_pack("{s:i}", "per_slot", 1);
    json_t *task = json_pack("{s:o s:s s:o}", "command", cmd, "slot", "task", "count", count);

    json_t *environment = json_object();
    for (const auto &[k, v] : env)
        json_object_set_new(environment, k.c_str(), json_string(v.c_str()));
    json_t *sys = json_pack("{s:f s:o}", "duration", o.time_limit > 0 ? (double)o.time_limit : 0.0,
                            "environment", environment);
    std::string cwd = o.chdir;
    char buf[PATH_MAX];
    if (cwd.empty() && getcwd(buf, sizeof(buf)))
        cwd = buf;
    else if (!cwd.empty() && cwd[0] != '/' && getcwd(buf, sizeof(buf)))
        cwd = std::string(buf) + "/" + cwd;
    json_object_set_new(sys, "cwd", json_string(cwd.c_str()));
    std::string name = o.job_name;
    if (!name.empty())
        json_object_set_new(sys, "job", json_pack("{s:s}", "name", name.c_str()));
    if (!o.partition.empty() && o.partition != default_partition)
        json_object_set_new(sys, "queue", json_string(o.partition.c_str()));
    /* -C, -w and -x: RFC 31 constraints, ANDed. */
    json_t *cons = json_array();
    if (!o.constraint.empty())
        json_array_append_new(cons, constraints(o.constraint));
    if (!o.nodelist.empty())
        json_array_append_new(cons, json_pack("{s:[s]}", "hostlist", o.nodelist.c_str()));
    if (!o.exclude.empty())
        json_array_append_new(cons, json_pack("{s:[{s:[s]}]}", "not", "hostlist",
                                              o.exclude.c_str()));
    if (!x.within.empty())
        json_array_append_new(cons, json_pack("{s:[s]}", "hostlist", x.within.c_str()));
    if (json_array_size(cons) == 1)
        json_object_set(sys, "constraints", json_array_get(cons, 0));
    else if (json_array_size(cons) > 1)
        json_object_set(sys, "constraints", json_pack("{s:O}", "and", cons));
    json_decref(cons);

    /* RFC 26 dependencies: one entry per job id; '?' lists keep "any". */
    json_t *deps = json_array();
    size_t k = 0;
    for (const auto &d : o.dependencies) {
        if (d.type == "singleton") {
            json_array_append_new(deps, json_pack("{s:s s:s}", "scheme", "singleton", "value", ""));
            continue;
        }
        std::string scheme = d.type == "after" ? "after" : d.type;
        for (size_t i = 0; i < d.ids.size(); i++, k++) {
            const std::string &id = k < x.dependency_ids.size() ? x.dependency_ids[k] : d.ids[i];
            json_t *e = json_pack("{s:s s:s}", "scheme", scheme.c_str(), "value", id.c_str());
            if (o.dependency_any)
                json_object_set_new(e, "any", json_true());
            json_array_append_new(deps, e);
        }
    }
    if (o.begin > 0) {
        /* RFC 26 values are strings, as flux submit --begin-time sends. */
        char when[64];
        snprintf(when, sizeof(when), "%.3f", (double)o.begin);
        json_array_append_new(deps, json_pack("{s:s s:s}", "scheme", "begin-time", "value", when));
    }
    if (json_array_size(deps) > 0)
        json_object_set_new(sys, "dependencies", deps);
    else
        json_decref(deps);

    /* The shell: our environment plugin, PMI, output files. */
    json_t *slurm_opt = json_pack("{s:s}", "cluster", cluster_name().c_str());
    if (!o.partition.empty())
        json_object_set_new(slurm_opt, "partition", json_string(o.partition.c_str()));
    if (!x.step_of.empty())
        json_object_set_new(slurm_opt, "step_of", json_string(x.step_of.c_str()));
    if (x.step_id >= 0)
        json_object_set_new(slurm_opt, "step_id", json_integer(x.step_id));
    if (o.cpus_per_task > 0)
        json_object_set_new(slurm_opt, "cpus_per_task", json_integer(o.cpus_per_task));
    if (x.batch) /* the allocation's task count: the job itself runs one instance */
        json_object_set_new(slurm_opt, "ntasks", json_integer(ntasks));
    json_t *shell_opts = json_pack("{s:[s] s:o}", "plugins", env_plugin_path().c_str(), "slurm",
                                   slurm_opt);
    /* Slurm's default (WaitTime=0) leaves the other tasks running when
     * one exits: no exit-timeout, unlike a plain flux run. */
    json_object_set_new(shell_opts, "exit-timeout", json_string("none"));
    if (o.mpi == "pmix")
        json_object_set_new(shell_opts, "pmi", json_string("pmix"));
    else if (o.mpi == "pmi2" || o.mpi == "pmi1")
        json_object_set_new(shell_opts, "pmi", json_string("simple"));
    else if (o.mpi == "none")
        json_object_set_new(shell_opts, "pmi", json_string("off"));
    /* srun --pty: flux-shell(1) -o pty.interactive (task 0). */
    if (x.pty) {
        json_t *p = json_pack("{s:i}", "interactive", 1);
        if (x.pty_rows > 0 && x.pty_cols > 0) {
            json_object_set_new(p, "rows", json_integer(x.pty_rows));
            json_object_set_new(p, "cols", json_integer(x.pty_cols));
        }
        json_object_set_new(shell_opts, "pty", p);
    }
    /* flux-shell(1) input.stdin: a file, or the tasks that get stdin. */
    if (!x.input_file.empty())
        json_object_set_new(shell_opts, "input",
                            json_pack("{s:{s:s s:s}}", "stdin", "type", "file", "path",
                                      x.input_file.c_str()));
    else if (!x.input_ranks.empty())
        json_object_set_new(shell_opts, "input",
                            json_pack("{s:{s:s}}", "stdin", "ranks", x.input_ranks.c_str()));
    json_t *output = json_object();
    if (!x.output.empty())
        json_object_set_new(output, "stdout",
                            json_pack("{s:s s:s}", "type", "file", "path", x.output.c_str()));
    if (!x.error.empty())
        json_object_set_new(output, "stderr",
                            json_pack("{s:s s:s}", "type", "file", "path", x.error.c_str()));
    if (json_object_size(output) > 0) {
        json_object_set_new(shell_opts, "output", output);
        /* Slurm truncates unless --open-mode=append, as the shell does
         * unless output.mode=append. */
        if (o.open_mode == "append")
            json_object_set_new(output, "mode", json_string("append"));
    }
    else
        json_decref(output);
    /* --signal: the shell option flux run --signal sets (job-exec sends
     * it TIME before the expiration). */
    if (o.signal > 0)
        json_object_set_new(shell_opts, "signal",
                            json_pack("{s:i s:f}", "signum", o.signal, "timeleft",
                                      (double)o.signal_time));
    /* --mem (per node) and --mem-per-cpu: the job's memory limit on each
     * node where the instance puts jobs in cgroups ([exec] cgroup, as
     * Slurm's ConstrainRAMSpace); recorded only where it does not. */
    if (o.mem_mb > 0 || o.mem_per_cpu_mb > 0) {
        json_t *cg = json_object();
        if (o.mem_mb > 0)
            json_object_set_new(cg, "memory", json_string((std::to_string(o.mem_mb) + "M").c_str()));
        if (o.mem_per_cpu_mb > 0)
            json_object_set_new(cg, "memory-per-cpu",
                                json_string((std::to_string(o.mem_per_cpu_mb) + "M").c_str()));
        json_object_set_new(shell_opts, "cgroup", cg);
    }
    json_object_set_new(sys, "shell", json_pack("{s:o}", "options", shell_opts));

    /* What squeue/sacct show that Flux does not keep. */
    json_t *sl = json_object();
    if (x.batch)
        json_object_set_new(sl, "batch", json_true());
    if (x.srun)
        json_object_set_new(sl, "srun", json_true());
    if (x.array_task_id >= 0) {
        json_object_set_new(sl, "array_task_id", json_integer(x.array_task_id));
        if (!x.array_job_id.empty())
            json_object_set_new(sl, "array_job_id",
                                json_integer(strtoull(x.array_job_id.c_str(), nullptr, 10)));
    }
    if (!o.dependency_text.empty())
        json_object_set_new(sl, "dependency", json_string(o.dependency_text.c_str()));
    if (o.mem_mb > 0)
        json_object_set_new(sl, "mem_mb", json_integer(o.mem_mb));
    if (o.mem_per_cpu_mb > 0)
        json_object_set_new(sl, "mem_per_cpu_mb", json_integer(o.mem_per_cpu_mb));
    json_object_set_new(sys, "slurm", sl);

    out.reset(json_pack("{s:i s:[o] s:[o] s:{s:o}}", "version", 1, "resources", top, "tasks", task,
                        "attributes", "system", sys));
    if (!out)
        return "error: cannot encode the job request";
    return "";
}

} // namespace slurm
