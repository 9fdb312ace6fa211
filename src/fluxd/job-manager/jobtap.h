/* job-manager/jobtap.h - the job manager's jobtap plugins (flux/jobtap.h,
 * flux-jobtap-plugins(7)): loading them through the shared plugin loader
 * (libflux/plugin_internal.h), calling them on a topic, and the host calls
 * they make (flux_jobtap_*), which go to a JobtapHost.
 *
 * Cost when no plugin is loaded: the job manager tests empty() before it
 * builds anything; arguments are built only when a plugin reads them.
 */
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <event2/event.h>

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
    /* API 1.1.  dependency: add (at once) or remove (deferred) DESC. */
    virtual flux::Result<void> jobtap_dependency(uint64_t id, const std::string &desc,
                                                 bool add) = 0;
    virtual flux::Result<void> jobtap_reprioritize(uint64_t id, int64_t priority) = 0;
    virtual void jobtap_reprioritize_all() = 0;
    /* Per-job data of plugin P (keys are P's own). */
    virtual flux::Result<void> jobtap_aux_set(flux_plugin *p, uint64_t id, const std::string &key,
                                              void *val, void (*destroy)(void *)) = 0;
    virtual void *jobtap_aux_get(flux_plugin *p, uint64_t id, const std::string &key) = 0;
    /* Destroy every job's data of P (P is being removed). */
    virtual void jobtap_aux_drop(flux_plugin *p) = 0;
    virtual json_t *jobtap_R(uint64_t id) = 0;
    virtual struct event_base *jobtap_base() = 0;
    virtual double jobtap_now() = 0;
    /* The plugin store: KEY is "jobtap.NAME.KEY"; TEXT is JSON. */
    virtual void jobtap_store_put(const std::string &key, const std::string &text) = 0;
    virtual std::optional<std::string> jobtap_store_get(const std::string &key) = 0;
    /* API 1.2: F(id) for each active job in id order until F returns
     * non-zero; that value, or 0. */
    virtual int jobtap_foreach_active(const std::function<int(uint64_t)> &f) = 0;
};

class Jobtap {
  public:
    explicit Jobtap(JobtapHost &host) : host_(host) {}
    ~Jobtap();

    bool empty() const { return plugins_.empty(); }
    /* Whether a plugin has a handler for TOPIC (memoized per topic). */
    bool handles(const char *topic);

    /* Load PATH with CONF (a JSON object or NULL); the plugin's name on
     * success.  Errors name the file (missing file, missing symbol, wrong
     * version, init failed) or the duplicate name.  A PATH with a leading
     * dot and no slash (".dependency") is a built-in plugin (builtins.h). */
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

    /* job.priority.get: the first plugin that packs {priority: N} in OUT
     * (N clamped to 0..4294967295); nullopt if none does.  Errors are
     * logged (the job keeps its priority). */
    std::optional<int64_t> priority(flux_plugin_arg_t &args);

    JobtapHost &host() { return host_; }

    /* Keep O (a new reference) alive until the outermost call-out
     * returns: strings flux_jobtap_job_unpack() hands out point into it. */
    void keep(json_t *o);

    /* flux_jobtap_timer_add(). */
    flux::Result<void> timer_add(flux_plugin *p, double after, flux_jobtap_timer_f cb, void *arg);

  private:
    JobtapHost &host_;
    std::vector<std::unique_ptr<flux_plugin>> plugins_;
    std::unordered_map<std::string, bool> handles_; /* topic -> some handler matches */
    struct Timer {
        Jobtap *jt;
        flux_plugin *p;
        flux_jobtap_timer_f cb;
        void *arg;
        flux::EventPtr ev;
    };
    std::vector<std::unique_ptr<Timer>> timers_;
    void drop(flux_plugin *p);
    std::vector<flux::JsonPtr> kept_;
    int depth_ = 0;
    struct Scope {
        Jobtap &jt;
        explicit Scope(Jobtap &j) : jt(j) { jt.depth_++; }
        ~Scope()
        {
            if (--jt.depth_ == 0)
                jt.kept_.clear();
        }
    };
};

} // namespace fluxd
