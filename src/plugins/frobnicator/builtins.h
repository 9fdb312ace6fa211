/* builtins.h - the validators and frobnicators built into fluxd
 * (flux-ingest-plugins(7)).  Each is an ingest plugin on the public ABI
 * (flux/ingest.h, flux/plugin.h, jansson); job-ingest creates them by name
 * with the one plugin loader's flux_plugin::create().  What the config
 * gives them (conf: their [ingest.ROLE.NAME] table plus "policy" and
 * "queues") is checked first by CHECK, so that a bad value stops the
 * instance with a message naming the key.
 */
#pragma once

#include <string>

#include <jansson.h>

#include "flux/plugin.h"

struct flux_ingest_builtin {
    const char *name;       /* NULL ends the table */
    int role;               /* 0 frobnicator, 1 validator (IngestChain::Role) */
    flux_plugin_init_f init;
    /* true if CONF is usable; else false with *ERR naming the key. */
    bool (*check)(json_t *conf, std::string *err);
};

extern const struct flux_ingest_builtin flux_ingest_builtins[];

namespace fluxd::ingest_builtin {

/* O.a.b.c for KEYS {"a", "b", "c"} (borrowed), or NULL. */
json_t *path_get(json_t *o, std::initializer_list<const char *> keys);
/* attributes.system of JOBSPEC, made if missing (borrowed), or NULL. */
json_t *system_of(json_t *jobspec);
/* A duration in the config: seconds (a number) or FSD text ("1h").  false
 * with *ERR "KEY: ..." if V is neither; *SECS untouched if V is NULL. */
bool duration_of(json_t *v, const std::string &key, double *secs, std::string *err);
/* "1h", "90s": a duration for messages. */
std::string duration_text(double secs);
/* Whether QUEUES (the [queues] table) names QUEUE. */
bool queue_known(json_t *queues, const std::string &queue);

} // namespace fluxd::ingest_builtin
