/* limits.h - the job-size and duration limits of [policy.limits] and
 * [queues.NAME.policy.limits], shared by the ingest validators
 * (limits.cpp) and the job manager's .limit-job-size and .limit-duration
 * jobtap plugins (job-manager/plugins/limits.cpp): one reading of the
 * keys, one wording of the rejections.
 *
 * CONF is {policy: {...}, queues: {...}} (the instance config's tables). */
#pragma once

#include <string>

#include <jansson.h>

namespace fluxd::limits {

/* "job-size: at most 4 nodes in queue debug", or "" if HAVE ({nnodes,
 * ncores, ngpus}; nnodes 0: no node level) is within the limits of QUEUE
 * (NULL or "": the instance's). */
std::string job_size_violation(json_t *conf, const char *queue, const json_int_t have[3]);
/* "duration: at most 1h", or "" (DURATION 0: the job asks for no limit). */
std::string duration_violation(json_t *conf, const char *queue, double duration);
/* Check the limit tables of CONF; false with *ERR naming the key. */
bool check(json_t *conf, std::string *err);

} // namespace fluxd::limits
