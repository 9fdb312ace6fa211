/* job-manager/jobtap.h - the job manager's jobtap plugins (flux/jobtap.h,
 * flux-jobtap-plugins(7)): loading them through the shared plugin loader
 * (libflux/plugin_internal.h), calling them on a topic, and the host calls
 * they make (flux_jobtap_*), which go to a JobtapHost.
 *
 * Cost when no plugin is loaded: the job manager tests empty() before it
 * builds anything; arguments are built only when a plugin reads them.
 */
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <jansson.h>

#include "flux/jobtap.h"
#include "libflux/plugin_internal.h"
#include "result/result.h"

namespace fluxd {

/* What a plugin may ask of the job manager.  Each returns an error text
 * naming the problem; raise and post are carried out after the current
 * call-out returns. */
class JobtapHost {
  public:
    virtual ~JobtapHost() = default;
    virtual flux::Result<void> jobtap_raise(uint64_t id, const std::string &type, int severity,
                                            const std::string &note) = 0;
    virtual flux::Result<void> jobtap_post(uint64_t id, const std::string &name,
                                           json_t *context /* stolen, may be NULL */) = 0;
    /* {id, userid, urgency, priority, state, t_submit}: a new reference,
     * or NULL if the job is unknown. */
    virtual json_t *jobtap_job_info(uint64_t id) = 0;
    /* The job's jobspec, a new reference, or NULL. */
    virtual json_t *jobtap_jobspec(uint64_t id) = 0;
    virtual void jobtap_log(int level, const std::string &text) = 0;
};

class Jobtap {
  public:
    explicit Jobtap(JobtapHost &host) : host_(host) {}
    ~Jobtap();

    bool empty() const { return plugins_.empty(); }

    /* Load PATH with CONF (a JSON object or NULL); the plugin's name on
     * success.  Errors name the file (missing file, missing symbol, wrong
     * version, init failed) or the duplicate name. */
    flux::Result<std::string> load(const std::string &path, json_t *conf);
    /* Remove the plugin named NAME ("all": every plugin).  ENOENT if none. */
    flux::Result<void> remove(const std::string &name);
    /* [{name, path}] in load order (a new reference). */
    json_t *list() const;
    /* {name, path, conf} merged with what the plugin's plugin.query
     * callback packs into OUT (a new reference); ENOENT for an unknown
     * name. */
    flux::Result<json_t *> query(const std::string &name);

    struct Failure {
        std::string plugin; /* its name */
        std::string text;   /* its message, or "callback failed" */
        bool explicit_message = false; /* the plugin gave the text */
    };
    /* Call TOPIC on each plugin (in load order) with a shared IN argument,
     * built by BUILD(CTX) when first read; each plugin gets its own OUT.
     * Every failure is logged ("jobtap.NAME: TOPIC: text"); the first is
     * returned.  With STOP_AT_FAILURE (job.validate), later plugins are not
     * called after one fails. */
    std::optional<Failure> call(const char *topic, json_t *(*build)(void *), void *ctx,
                                bool stop_at_failure);

    JobtapHost &host() { return host_; }

  private:
    JobtapHost &host_;
    std::vector<std::unique_ptr<flux_plugin>> plugins_;
};

} // namespace fluxd
