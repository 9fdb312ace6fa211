/* flux/sched_policy.h - a site match policy for sched-graph.
 *
 * sched-graph's matcher walks the resource graph depth first; at each
 * vertex a match policy decides in which order the children are visited
 * (the first that fits wins; whatever the order, a subtree whose free
 * resources cannot hold the request is skipped without a walk).  The built-in policies
 * are first, low, high, lonode, hinode, locality and variation
 * (sched-graph(5)).  A site adds its own as a shared object that exports
 *
 *     const struct flux_sched_policy flux_sched_policy_info = {...};
 *
 * (declare it with FLUX_SCHED_POLICY) and names it in the config:
 *
 *     [sched-graph]
 *     match-policy = "/etc/flux/policy/bigmem-last.so"
 *
 * (any value with a '/' is a path; `flux sched-query --match-policy=PATH`
 * takes the same).  sched-graph opens it through the one plugin loader
 * (flux/plugin.h: errors name the file) and applies the version rule:
 * same major, minor no greater than sched-graph's.
 *
 * Lifecycle:
 *
 *   [dlopen PATH, flux_sched_policy_info, version check]
 *   init(conf, &data)      once; CONF is the [sched-graph.policy-conf]
 *        |                 table as compact JSON text ("{}" if none);
 *        |                 non-zero refuses to load (sched-graph stops
 *        |                 with "PATH: policy NAME: init failed")
 *   score() or compare()   at each vertex with two or more children
 *        |                 worth visiting, once per child / per pair
 *   fini(data)             when sched-graph unloads
 *
 * Ordering: children are visited in ascending score (ties keep graph
 * order); if score is NULL, compare() sorts them (negative: A first).
 * One of the two must be set.  The callbacks run in the scheduler's loop,
 * on the hot path of every match: no I/O, no allocation, return fast.
 * They must be pure functions of their arguments (and DATA): the matcher
 * may call them several times for the same child.
 *
 * Versions: 1.0.  A field appended later raises the minor version; a
 * policy built against 1.0 keeps working.
 */
#ifndef FLUX_SCHED_POLICY_H
#define FLUX_SCHED_POLICY_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* major << 16 | minor */
#define FLUX_SCHED_POLICY_API_VERSION ((1u << 16) | 0u)
#define FLUX_SCHED_POLICY_INFO_SYMBOL "flux_sched_policy_info"

/* What a policy sees of one candidate child (valid during the call only). */
struct flux_sched_vertex {
    const char *type;     /* "rack", "node", "socket", "core", a site type */
    const char *name;     /* "node12" */
    int64_t id;           /* the vertex's id among its type */
    int64_t rank;         /* execution target; -1 above the hosts */
    int depth;            /* 0: the root */
    int64_t index;        /* preorder position: graph order */
    /* The resource the matcher is looking for under this child: */
    const char *want;     /* its type ("core") */
    int64_t need;         /* how much of it is still wanted */
    int64_t free;         /* how much of it the child's subtree has free now */
    int64_t total;        /* how much of it the child's subtree holds */
};

struct flux_sched_policy {
    uint32_t api_version; /* FLUX_SCHED_POLICY_API_VERSION */
    const char *name;     /* shown by sched-graph.status; NULL: file name */
    /* Lower first.  NULL: use compare. */
    double (*score)(const struct flux_sched_vertex *v, void *data);
    /* <0: A before B, >0: B before A, 0: keep graph order.  Used when
     * score is NULL. */
    int (*compare)(const struct flux_sched_vertex *a, const struct flux_sched_vertex *b,
                   void *data);
    /* Optional: 0 on success; *DATA is passed to the callbacks. */
    int (*init)(const char *conf, void **data);
    /* Optional: release DATA. */
    void (*fini)(void *data);
};

#ifdef __cplusplus
#define FLUX_SCHED_POLICY_EXTERN extern "C"
#else
#define FLUX_SCHED_POLICY_EXTERN
#endif

/* FLUX_SCHED_POLICY("name", score, compare, init, fini); */
#define FLUX_SCHED_POLICY(NAME, SCORE, COMPARE, INIT, FINI)                                  \
    FLUX_SCHED_POLICY_EXTERN const struct flux_sched_policy flux_sched_policy_info = {     \
        FLUX_SCHED_POLICY_API_VERSION, NAME, SCORE, COMPARE, INIT, FINI}

#ifdef __cplusplus
}
#endif

#endif /* !FLUX_SCHED_POLICY_H */
