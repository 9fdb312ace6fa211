/* spread-racks.c - an example site match policy for sched-graph
 * (flux-sched-policy(7)).
 *
 * Above the hosts, visit the subtree with the most free resources of the
 * wanted type first (spread jobs over racks, so a rack can be drained for
 * maintenance with fewer jobs to wait for); at and below the hosts, visit
 * them from the highest id down or, with {"hosts": "low"} in
 * [sched-graph.policy-conf], from the lowest id up.
 *
 * Build: cc -shared -fPIC $(pkg-config --cflags flux-core) \
 *            -o spread-racks.so spread-racks.c
 * Use:   [sched-graph]
 *        match-policy = "/path/to/spread-racks.so"
 *        policy-conf = { hosts = "low" }
 */
#include <stdlib.h>
#include <string.h>

#include <flux/sched_policy.h>

struct conf {
    int hosts_low;
};

static int init(const char *conf, void **data)
{
    struct conf *c = calloc(1, sizeof(*c));
    if (!c)
        return -1;
    /* The conf is JSON text; a real policy would parse it with jansson. */
    if (strstr(conf, "\"hosts\":\"low\""))
        c->hosts_low = 1;
    else if (strstr(conf, "\"hosts\"") && !strstr(conf, "\"hosts\":\"high\"")) {
        free(c);
        return -1; /* hosts: expected "low" or "high" */
    }
    *data = c;
    return 0;
}

static void fini(void *data)
{
    free(data);
}

static double score(const struct flux_sched_vertex *v, void *data)
{
    const struct conf *c = data;
    if (v->rank < 0)
        return -(double)v->free; /* above the hosts: most free first */
    return c->hosts_low ? (double)v->id : -(double)v->id;
}

FLUX_SCHED_POLICY("spread-racks", score, NULL, init, fini);
