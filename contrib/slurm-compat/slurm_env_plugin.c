/* slurm_env_plugin.c - job shell plugin "slurm-env": the SLURM_* variables
 * Slurm 22.05 gives batch scripts and step tasks, for jobs of the shims
 * (they name this plugin in the job's shell option "plugins").
 *
 * shell.init: SLURM_JOB_ID/JOBID (the allocation's id for a step: shell
 * option slurm.step_of), SLURM_JOB_NAME, SLURM_NTASKS/NPROCS,
 * SLURM_NNODES/JOB_NUM_NODES, SLURM_JOB_NODELIST/NODELIST, SLURM_NODEID,
 * SLURM_CPUS_ON_NODE, SLURM_CPUS_PER_TASK (with -c), SLURM_TASKS_PER_NODE,
 * SLURM_JOB_PARTITION, SLURM_CLUSTER_NAME, SLURM_JOB_USER/UID/GID,
 * SLURMD_NODENAME, SLURM_ARRAY_JOB_ID (array tasks), SLURM_STEP_* (steps),
 * SLURM_GTIDS, SLURM_JOB_CPUS_PER_NODE.  task.init: SLURM_PROCID, SLURM_LOCALID.
 *
 * Options (attributes.system.shell.options.slurm): cluster, partition,
 * step_of, step_id, cpus_per_task, ntasks.  (--open-mode is the shell's
 * output.mode.)  Written
 * in C on flux/shell.h alone so a job pays no C++ runtime load for it. */
#include <flux/shell.h>

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char jobid_dec[32];

static void setenv_int(flux_shell_t *shell, const char *name, long long v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%lld", v);
    flux_shell_setenv(shell, name, buf, 1);
}

/* Count the ids of an idset "0-3,8". */
static int idset_count(const char *s)
{
    int n = 0;
    while (s && *s) {
        char *end;
        long a = strtol(s, &end, 10), b = a;
        if (end == s)
            break;
        if (*end == '-')
            b = strtol(end + 1, &end, 10);
        n += (int)(b - a + 1);
        s = *end == ',' ? end + 1 : end;
        if (!*end)
            break;
    }
    return n;
}

/* R's nodelist entries joined, each host once (test instances put several
 * ranks on one host). */
static void nodelist(json_t *R, char *buf, size_t size)
{
    json_t *nl = json_object_get(json_object_get(R, "execution"), "nodelist");
    size_t i;
    json_t *e;
    buf[0] = '\0';
    json_array_foreach(nl, i, e)
    {
        const char *s = json_string_value(e);
        if (!s)
            continue;
        /* split at top-level commas */
        const char *p = s;
        while (*p) {
            const char *q = p;
            int depth = 0;
            while (*q && (depth > 0 || *q != ',')) {
                if (*q == '[')
                    depth++;
                else if (*q == ']')
                    depth--;
                q++;
            }
            char item[256];
            size_t len = (size_t)(q - p) < sizeof(item) - 1 ? (size_t)(q - p) : sizeof(item) - 1;
            memcpy(item, p, len);
            item[len] = '\0';
            /* already there? */
            int dup = 0;
            const char *b = buf;
            while (*b) {
                const char *c = strchr(b, ',');
                size_t l = c ? (size_t)(c - b) : strlen(b);
                if (l == len && !strncmp(b, item, len))
                    dup = 1;
                b = c ? c + 1 : b + l;
            }
            if (!dup && strlen(buf) + len + 2 < size) {
                if (buf[0])
                    strcat(buf, ",");
                strcat(buf, item);
            }
            p = *q ? q + 1 : q;
        }
    }
}

/* RFC 34 taskmap {"map": [[nodeid, nnodes, ppn, repeat], ...]} as Slurm's
 * "2(x3),1". */
static void tasks_per_node(const char *taskmap, char *buf, size_t size)
{
    json_error_t err;
    json_t *tm = json_loads(taskmap, 0, &err);
    json_t *map = json_object_get(tm, "map");
    size_t i;
    json_t *b;
    int last = -1, count = 0;
    buf[0] = '\0';
    json_array_foreach(map, i, b)
    {
        int nnodes = 0, ppn = 0, repeat = 1, nodeid = 0;
        if (json_unpack(b, "[i i i i]", &nodeid, &nnodes, &ppn, &repeat) < 0)
            continue;
        for (int r = 0; r < repeat * nnodes; r++) {
            if (ppn == last) {
                count++;
                continue;
            }
            if (last >= 0) {
                size_t l = strlen(buf);
                if (count > 1)
                    snprintf(buf + l, size - l, "%s%d(x%d)", l ? "," : "", last, count);
                else
                    snprintf(buf + l, size - l, "%s%d", l ? "," : "", last);
            }
            last = ppn;
            count = 1;
        }
    }
    if (last >= 0) {
        size_t l = strlen(buf);
        if (count > 1)
            snprintf(buf + l, size - l, "%s%d(x%d)", l ? "," : "", last, count);
        else
            snprintf(buf + l, size - l, "%s%d", l ? "," : "", last);
    }
    json_decref(tm);
}

/* SLURM_GTIDS: the global ids of the tasks of node RANK, from the RFC 34
 * taskmap ("0,1"). */
static void gtids(const char *taskmap, int rank, char *buf, size_t size)
{
    json_error_t err;
    json_t *tm = json_loads(taskmap, 0, &err);
    json_t *map = json_object_get(tm, "map");
    size_t i;
    json_t *b;
    int t = 0;
    buf[0] = '\0';
    json_array_foreach(map, i, b)
    {
        int nodeid = 0, nnodes = 0, ppn = 0, repeat = 1;
        if (json_unpack(b, "[i i i i]", &nodeid, &nnodes, &ppn, &repeat) < 0)
            continue;
        for (int r = 0; r < repeat; r++)
            for (int n = 0; n < nnodes; n++)
                for (int p = 0; p < ppn; p++, t++) {
                    if (nodeid + n != rank)
                        continue;
                    size_t l = strlen(buf);
                    snprintf(buf + l, size - l, "%s%d", l ? "," : "", t);
                }
    }
    json_decref(tm);
}

/* SLURM_JOB_CPUS_PER_NODE: cores of each node of R in Slurm's "2(x3),1". */
static void cpus_per_node(json_t *R, char *buf, size_t size)
{
    json_t *rlite = json_object_get(json_object_get(R, "execution"), "R_lite");
    size_t i;
    json_t *e;
    int last = -1, count = 0;
    buf[0] = '\0';
    json_array_foreach(rlite, i, e)
    {
        const char *ranks = "", *core = "";
        if (json_unpack(e, "{s:s s:{s?s}}", "rank", &ranks, "children", "core", &core) < 0)
            continue;
        int n = idset_count(ranks), c = idset_count(core);
        for (int k = 0; k < n; k++) {
            if (c == last) {
                count++;
                continue;
            }
            if (last >= 0) {
                size_t l = strlen(buf);
                snprintf(buf + l, size - l, count > 1 ? "%s%d(x%d)" : "%s%d", l ? "," : "", last,
                         count);
            }
            last = c;
            count = 1;
        }
    }
    if (last >= 0) {
        size_t l = strlen(buf);
        snprintf(buf + l, size - l, count > 1 ? "%s%d(x%d)" : "%s%d", l ? "," : "", last, count);
    }
}

static int shell_init(flux_shell_t *shell, const char *topic, flux_shell_task_t *task, void *arg)
{
    (void)topic;
    (void)task;
    (void)arg;
    json_t *info = flux_shell_get_info(shell);
    json_int_t id = 0;
    int rank = 0, size = 0, nnodes = 0, ntasks = 0;
    json_t *jobspec = NULL, *R = NULL;
    const char *taskmap = "", *cpus = "";
    if (json_unpack(info, "{s:I s:i s:i s:i s:i s?o s?o s?s s?s}", "jobid", &id, "rank", &rank,
                    "size", &size, "nnodes", &nnodes, "ntasks", &ntasks, "jobspec", &jobspec, "R",
                    &R, "taskmap", &taskmap, "cpus", &cpus)
        < 0) {
        flux_shell_log(shell, 3, "job info is malformed");
        return -1;
    }
    json_t *opt = flux_shell_getopt(shell, "slurm");
    const char *cluster = "fluxd", *partition = "debug", *step_of = NULL;
    int cpt = 0, alloc_ntasks = 0, step_id = -1;
    if (opt)
        json_unpack(opt, "{s?s s?s s?s s?i s?i s?i}", "cluster", &cluster, "partition",
                    &partition, "step_of", &step_of, "cpus_per_task", &cpt, "ntasks",
                    &alloc_ntasks, "step_id", &step_id);
    /* A batch job runs one instance: the script sees the allocation's
     * task count, spread over its nodes in blocks. */
    if (alloc_ntasks > 0 && nnodes > 0) {
        size = alloc_ntasks;
        json_t *map = json_array();
        int base = alloc_ntasks / nnodes, extra = alloc_ntasks % nnodes;
        if (extra > 0)
            json_array_append_new(map, json_pack("[i i i i]", 0, extra, base + 1, 1));
        if (base > 0)
            json_array_append_new(map, json_pack("[i i i i]", extra, nnodes - extra, base, 1));
        json_t *tm = json_pack("{s:i s:o}", "version", 1, "map", map);
        static char tmtext[1024];
        char *t = json_dumps(tm, JSON_COMPACT);
        snprintf(tmtext, sizeof(tmtext), "%s", t ? t : "");
        free(t);
        json_decref(tm);
        taskmap = tmtext;
    }
    snprintf(jobid_dec, sizeof(jobid_dec), "%lld", (long long)id);
    const char *jid = step_of && *step_of ? step_of : jobid_dec;
    flux_shell_setenv(shell, "SLURM_JOB_ID", jid, 1);
    flux_shell_setenv(shell, "SLURM_JOBID", jid, 1);

    json_t *sys = json_object_get(json_object_get(jobspec, "attributes"), "system");
    const char *name = json_string_value(json_object_get(json_object_get(sys, "job"), "name"));
    const char *a0 = json_string_value(json_array_get(
        json_object_get(json_array_get(json_object_get(jobspec, "tasks"), 0), "command"), 0));
    if (!name && a0)
        name = strrchr(a0, '/') ? strrchr(a0, '/') + 1 : a0;
    if (name && !(step_of && *step_of))
        flux_shell_setenv(shell, "SLURM_JOB_NAME", name, 1);
    setenv_int(shell, "SLURM_NTASKS", size);
    setenv_int(shell, "SLURM_NPROCS", size);
    setenv_int(shell, "SLURM_NNODES", nnodes);
    setenv_int(shell, "SLURM_NODEID", rank);
    char nl[4096];
    nodelist(R, nl, sizeof(nl));
    char tpn[1024] = "";
    if (taskmap && *taskmap)
        tasks_per_node(taskmap, tpn, sizeof(tpn));
    if (!(step_of && *step_of)) {
        setenv_int(shell, "SLURM_JOB_NUM_NODES", nnodes);
        if (nl[0]) {
            flux_shell_setenv(shell, "SLURM_JOB_NODELIST", nl, 1);
            flux_shell_setenv(shell, "SLURM_NODELIST", nl, 1);
        }
        flux_shell_setenv(shell, "SLURM_JOB_PARTITION", partition, 1);
        if (tpn[0])
            flux_shell_setenv(shell, "SLURM_TASKS_PER_NODE", tpn, 1);
    }
    char ids[4096] = "";
    if (taskmap && *taskmap)
        gtids(taskmap, rank, ids, sizeof(ids));
    if (ids[0])
        flux_shell_setenv(shell, "SLURM_GTIDS", ids, 1);
    char cpn[1024];
    cpus_per_node(R, cpn, sizeof(cpn));
    if (cpn[0] && !(step_of && *step_of))
        flux_shell_setenv(shell, "SLURM_JOB_CPUS_PER_NODE", cpn, 1);
    int ncpus = idset_count(cpus);
    if (ncpus > 0)
        setenv_int(shell, "SLURM_CPUS_ON_NODE", ncpus);
    if (cpt > 0)
        setenv_int(shell, "SLURM_CPUS_PER_TASK", cpt);
    flux_shell_setenv(shell, "SLURM_CLUSTER_NAME", cluster, 1);
    struct passwd *pw = getpwuid(getuid());
    if (pw)
        flux_shell_setenv(shell, "SLURM_JOB_USER", pw->pw_name, 1);
    setenv_int(shell, "SLURM_JOB_UID", getuid());
    setenv_int(shell, "SLURM_JOB_GID", getgid());
    char host[256] = "";
    if (gethostname(host, sizeof(host) - 1) == 0)
        flux_shell_setenv(shell, "SLURMD_NODENAME", host, 1);

    json_t *sl = json_object_get(sys, "slurm");
    json_int_t atid = -1, ajid = 0;
    int batch = 0;
    json_unpack(sl, "{s?I s?I s?b}", "array_task_id", &atid, "array_job_id", &ajid, "batch", &batch);
    if (atid >= 0)
        setenv_int(shell, "SLURM_ARRAY_JOB_ID", ajid > 0 ? (long long)ajid : (long long)id);
    if (!batch) {
        /* A step: srun's own job (step 0), or a step of an allocation
         * (numbered by srun; without a number, this job's id). */
        char stepbuf[32];
        const char *stepid = "0";
        if (step_id >= 0) {
            snprintf(stepbuf, sizeof(stepbuf), "%d", step_id);
            stepid = stepbuf;
        }
        else if (step_of && *step_of)
            stepid = jobid_dec;
        flux_shell_setenv(shell, "SLURM_STEP_ID", stepid, 1);
        flux_shell_setenv(shell, "SLURM_STEPID", stepid, 1);
        setenv_int(shell, "SLURM_STEP_NUM_TASKS", size);
        setenv_int(shell, "SLURM_STEP_NUM_NODES", nnodes);
        if (nl[0])
            flux_shell_setenv(shell, "SLURM_STEP_NODELIST", nl, 1);
        if (tpn[0])
            flux_shell_setenv(shell, "SLURM_STEP_TASKS_PER_NODE", tpn, 1);
        flux_shell_setenv(shell, "SLURM_DISTRIBUTION", "block", 1);
    }
    return 0;
}

static int task_init(flux_shell_t *shell, const char *topic, flux_shell_task_t *task, void *arg)
{
    (void)shell;
    (void)topic;
    (void)arg;
    char buf[32];
    snprintf(buf, sizeof(buf), "%d", flux_shell_task_rank(task));
    flux_shell_task_setenv(task, "SLURM_PROCID", buf, 1);
    snprintf(buf, sizeof(buf), "%d", flux_shell_task_localid(task));
    flux_shell_task_setenv(task, "SLURM_LOCALID", buf, 1);
    return 0;
}

static int init(flux_shell_t *shell)
{
    if (flux_shell_add_handler(shell, "shell.init", shell_init, NULL) < 0
        || flux_shell_add_handler(shell, "task.init", task_init, NULL) < 0)
        return -1;
    return 0;
}

static const struct flux_shell_plugin_info info = {FLUX_SHELL_PLUGIN_API_VERSION, "slurm-env",
                                                   init};

__attribute__((visibility("default"))) const struct flux_shell_plugin_info *flux_plugin_init(void)
{
    return &info;
}
