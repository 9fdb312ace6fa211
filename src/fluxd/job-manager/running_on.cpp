/* running_on.cpp - job-manager.running-on: which of a user's jobs are in RUN
 * with a given broker rank in their R.
 *
 * Asked by pam_fluxd(8) at every login on a node ("may this user in?"), so
 * it must stay cheap whatever the number of jobs: the manager keeps the
 * jobs in RUN indexed by user (running_by_user_, updated on each state
 * change in post()), and the answer walks only that user's running jobs.
 *
 *   request  {userid?: int (default: the caller), rank: int}
 *   response {userid, rank, jobs: [id, ...]} (empty array: none)
 *   errors   EPROTO bad payload, EPERM a guest asking about another user
 *
 * A guest may ask about itself only; the instance owner about anyone.
 */
#include <cerrno>

#include "fluxd/service.h"
#include "idset/idset.h"
#include "manager.h"

namespace fluxd {

void JobManager::running_index(const Entry &e, JobState prev)
{
    auto key = std::make_pair(e.job.userid, e.job.id);
    if (e.job.state == JobState::RUN)
        running_by_user_.insert(key);
    else if (prev == JobState::RUN)
        running_by_user_.erase(key);
}

void JobManager::running_on(const flux_msg_t *msg)
{
    json_int_t userid = -1, rank = -1;
    if (flux_msg_unpack(msg, "{s?I s:I}", "userid", &userid, "rank", &rank) < 0
        || rank < 0 || rank > (json_int_t)flux::IdSet::max_id || userid < -1
        || userid > (json_int_t)UINT32_MAX) {
        broker_.respond_error(msg, EPROTO,
                              "job-manager.running-on: expected {\"userid\"?: uid, \"rank\": rank}");
        return;
    }
    uint32_t caller = msg::userid(msg);
    uint32_t uid = userid < 0 ? caller : (uint32_t)userid;
    if (uid != caller && !(msg::rolemask(msg) & FLUX_ROLE_OWNER)) {
        broker_.respond_error(msg, EPERM,
                              "job-manager.running-on: a guest may ask about its own jobs only");
        return;
    }
    json_t *jobs = json_array();
    for (auto it = running_by_user_.lower_bound({uid, 0});
         it != running_by_user_.end() && it->first == uid; ++it) {
        auto j = jobs_.find(it->second);
        if (j == jobs_.end() || j->second->job.state != JobState::RUN)
            continue;
        auto ranks = flux::IdSet::parse(j->second->ranks);
        if (ranks && ranks->contains((uint32_t)rank))
            json_array_append_new(jobs, json_integer((json_int_t)it->second));
    }
    broker_.respond(msg, json_pack("{s:I s:I s:o}", "userid", (json_int_t)uid, "rank", rank,
                                   "jobs", jobs));
}

} // namespace fluxd
