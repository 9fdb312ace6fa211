/* boot.cpp - test and config (TOML) boot.
 *
 * Config keys read:
 *   [bootstrap] default_port, default_bind, default_connect,
 *               authenticate = "none" | "munge" (attribute tbon.authenticate),
 *               hosts = [ { host = "HOSTLIST", bind = URI, connect = URI }, ... ]
 *   [tbon] fanout
 *   [access] allow-guest-user
 *   [access] allow-root-owner, allow-guest-list-all (booleans, attributes
 *               access.allow-root-owner, access.allow-guest-list-all)
 *   [broker] quorum, shutdown-timeout
 *   [module] path
 *   [resource] exclude (idset of ranks), path (an R file), noverify (bool)
 *   [sched-graph] match-policy, queue-policy, reservation-depth, queue-depth, mode,
 *                 policy-conf (a table), queues.NAME.{queue-policy,
 *                 reservation-depth, queue-depth} (a table, as JSON text)
 *   [[job-manager.plugins]] load = PATH, conf = TABLE (jobtap plugins,
 *               handed to the job manager as the JSON text of the
 *               attribute conf.job-manager.plugins)
 *   [shell] plugins = [PATH, ...] (site shell plugins, attribute
 *               conf.shell.plugins as a colon list)
 *   [ingest.frobnicator], [ingest.validator] plugins = [...], timeout,
 *               workers, per-plugin tables (attribute conf.ingest, JSON);
 *               [policy] and [queues] (conf.policy, conf.queues, JSON) for
 *               the ingest plugins (flux-ingest-plugins(7));
 *               [ingest] allow-guest-none = BOOL (attribute
 *               ingest.allow-guest-none: mechanism none of J from guests)
 *   [job-manager.prolog], [job-manager.epilog], [job-manager.housekeeping]
 *               command = [ARG, ...] or directory = PATH, per-rank = BOOL
 *               (not for housekeeping, which runs on every rank), timeout =
 *               FSD ("30s"; prolog default 30m, others none; "0" none):
 *               attributes conf.job-manager.prolog|epilog|housekeeping as
 *               JSON for job-exec (src/fluxd/job-exec/perilog.h)
 *   [exec] imp = PATH (the setuid launcher flux-imp(8): jobs of other users
 *               start through it; attribute conf.exec.imp)
 * Other tables are left for the services that own them.
 */
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <memory>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <toml++/toml.h>

#include "boot.h"
#include "fsd/fsd.h"
#include "hostlist/hostlist.h"

namespace fluxd {

namespace {

/* The JSON files of the config being loaded: their nodes carry no source
 * position, so errors name the file(s) instead. */
std::string json_sources;

std::string where(const toml::source_region &src)
{
    std::string s;
    if (src.begin.line == 0 && !json_sources.empty())
        return json_sources;
    if (src.path)
        s += *src.path + ":";
    s += std::to_string(src.begin.line) + ":" + std::to_string(src.begin.column);
    return s;
}

bool get_string(const toml::node *n, const std::string &key, std::string *out, std::string *err)
{
    if (!n)
        return true;
    if (auto v = n->value<std::string>(); v && n->is_string()) {
        *out = *v;
        return true;
    }
    *err = where(n->source()) + ": " + key + ": expected a string";
    return false;
}

bool get_int(
    const toml::node *n, const std::string &key, long lo, long hi, long *out, std::string *err)
{
    if (!n)
        return true;
    if (!n->is_integer()) {
        *err = where(n->source()) + ": " + key + ": expected an integer";
        return false;
    }
    long v = (long)n->as_integer()->get();
    if (v < lo || v > hi) {
        *err = where(n->source()) + ": " + key + ": " + std::to_string(v) + " is out of range [" +
               std::to_string(lo) + "-" + std::to_string(hi) + "]";
        return false;
    }
    *out = v;
    return true;
}

bool get_bool(const toml::node *n, const std::string &key, bool *out, std::string *err)
{
    if (!n)
        return true;
    if (!n->is_boolean()) {
        *err = where(n->source()) + ": " + key + ": expected true or false";
        return false;
    }
    *out = n->as_boolean()->get();
    return true;
}

bool check_table(const toml::node *n, const std::string &key, std::string *err)
{
    if (n && !n->is_table()) {
        *err = where(n->source()) + ": " + key + ": expected a table";
        return false;
    }
    return true;
}

/* [[job-manager.plugins]]: an array of { load = "PATH", conf = {...} },
 * as a JSON array in cfg.attrs["conf.job-manager.plugins"]. */
bool parse_jobtap(const toml::table &tbl, Config &cfg, std::string *err)
{
    const toml::node *jm = tbl.get("job-manager");
    if (!check_table(jm, "job-manager", err))
        return false;
    /* Purge of inactive jobs (as Flux): an age (FSD) and a count. */
    if (const toml::node *a = jm ? jm->as_table()->get("inactive-age-limit") : nullptr) {
        std::string text = a->is_string() ? a->as_string()->get() : "";
        auto secs = a->is_string() ? flux::fsd_parse(text)
                                   : flux::Result<double>(flux::make_error(
                                         EINVAL, "expected a duration such as \"7d\""));
        if (!secs || *secs < 0) {
            *err = where(a->source()) + ": job-manager.inactive-age-limit: "
                   + (secs ? std::string("expected a duration >= 0") : secs.error().text);
            return false;
        }
        cfg.attrs["conf.job-manager.inactive-age-limit"] = std::to_string(*secs);
    }
    if (const toml::node *n = jm ? jm->as_table()->get("inactive-num-limit") : nullptr) {
        if (!n->is_integer() || n->as_integer()->get() < 0) {
            *err = where(n->source()) + ": job-manager.inactive-num-limit: expected an integer >= 0";
            return false;
        }
        cfg.attrs["conf.job-manager.inactive-num-limit"] = std::to_string(n->as_integer()->get());
    }
    const toml::node *pn = jm ? jm->as_table()->get("plugins") : nullptr;
    if (!pn)
        return true;
    const toml::array *plugins = pn->as_array();
    if (!plugins) {
        *err = where(pn->source()) + ": job-manager.plugins: expected an array of tables";
        return false;
    }
    std::string json = "[";
    for (size_t i = 0; i < plugins->size(); i++) {
        std::string key = "job-manager.plugins[" + std::to_string(i) + "]";
        const toml::node &entry = *plugins->get(i);
        const toml::table *e = entry.as_table();
        if (!e) {
            *err = where(entry.source()) + ": " + key + ": expected a table";
            return false;
        }
        for (auto &&[k, v] : *e) {
            if (k != "load" && k != "conf") {
                *err = where(v.source()) + ": " + key + ": unknown key '" + std::string(k.str()) +
                       "'";
                return false;
            }
        }
        std::string load;
        if (!e->get("load")) {
            *err = where(entry.source()) + ": " + key + ": missing 'load'";
            return false;
        }
        if (!get_string(e->get("load"), key + ".load", &load, err))
            return false;
        if (load.empty()) {
            *err = where(e->get("load")->source()) + ": " + key + ".load: empty path";
            return false;
        }
        if (!check_table(e->get("conf"), key + ".conf", err))
            return false;
        std::ostringstream conf;
        if (const toml::table *c = e->get_as<toml::table>("conf"))
            conf << toml::json_formatter{*c};
        else
            conf << "{}";
        json_error_t jerr;
        json_t *o = json_pack("{s:s s:o}", "load", load.c_str(), "conf",
                              json_loads(conf.str().c_str(), 0, &jerr));
        char *text = o ? json_dumps(o, JSON_COMPACT) : nullptr;
        json_decref(o);
        if (!text) {
            *err = where(entry.source()) + ": " + key + ": cannot convert to JSON";
            return false;
        }
        if (i > 0)
            json += ",";
        json += text;
        free(text);
    }
    json += "]";
    cfg.attrs["conf.job-manager.plugins"] = json;
    return true;
}

/* [shell] plugins = ["PATH", ...]: site shell plugins every job's shell
 * loads first, as a colon list in cfg.attrs["conf.shell.plugins"]. */
bool parse_shell(const toml::table &tbl, Config &cfg, std::string *err)
{
    const toml::node *sh = tbl.get("shell");
    if (!check_table(sh, "shell", err))
        return false;
    const toml::node *pn = sh ? sh->as_table()->get("plugins") : nullptr;
    if (!pn)
        return true;
    const toml::array *plugins = pn->as_array();
    if (!plugins) {
        *err = where(pn->source()) + ": shell.plugins: expected an array of paths";
        return false;
    }
    std::string list;
    for (size_t i = 0; i < plugins->size(); i++) {
        const toml::node &entry = *plugins->get(i);
        const std::string *path = entry.as_string() ? &entry.as_string()->get() : nullptr;
        if (!path || path->empty() || path->find(':') != std::string::npos) {
            *err = where(entry.source()) + ": shell.plugins[" + std::to_string(i)
                   + "]: expected a non-empty path without ':'";
            return false;
        }
        if (!list.empty())
            list += ":";
        list += *path;
    }
    cfg.attrs["conf.shell.plugins"] = list;
    return true;
}

/* TABLE as compact JSON text. */
std::string json_text(const toml::table &t)
{
    std::ostringstream os;
    os << toml::json_formatter{t};
    json_error_t jerr;
    json_t *o = json_loads(os.str().c_str(), 0, &jerr);
    char *s = o ? json_dumps(o, JSON_COMPACT) : nullptr;
    std::string text = s ? s : "{}";
    free(s);
    json_decref(o);
    return text;
}

/* [ingest.frobnicator] / [ingest.validator]: plugins = ["NAME" | "PATH"],
 * timeout = FSD, workers = 1-64, and a table per plugin (its conf), as the
 * JSON text of conf.ingest (timeout in seconds); [policy] and [queues] as
 * conf.policy and conf.queues.  The ingest checks the plugins themselves. */
bool parse_ingest(const toml::table &tbl, Config &cfg, std::string *err)
{
    for (const char *t : {"ingest", "policy", "queues"}) {
        if (!check_table(tbl.get(t), t, err))
            return false;
    }
    if (const toml::table *p = tbl["policy"].as_table())
        cfg.attrs["conf.policy"] = json_text(*p);
    if (const toml::table *q = tbl["queues"].as_table()) {
        for (auto &&[name, v] : *q) {
            if (!check_table(&v, "queues." + std::string(name.str()), err))
                return false;
        }
        cfg.attrs["conf.queues"] = json_text(*q);
    }
    const toml::table *in = tbl["ingest"].as_table();
    if (!in)
        return true;
    toml::table copy = *in;
    for (auto &&[role, rv] : *in) {
        std::string key = "ingest." + std::string(role.str());
        if (role == "allow-guest-none") {
            bool b = false;
            if (!get_bool(&rv, key, &b, err))
                return false;
            cfg.attrs[key] = b ? "true" : "false";
            copy.erase(role);
            continue;
        }
        if (role != "frobnicator" && role != "validator") {
            *err = where(rv.source()) + ": " + key + ": unknown key (expected frobnicator,"
                                                     " validator or allow-guest-none)";
            return false;
        }
        if (!check_table(&rv, key, err))
            return false;
        for (auto &&[k, v] : *rv.as_table()) {
            std::string kk = key + "." + std::string(k.str());
            if (k == "plugins") {
                const toml::array *a = v.as_array();
                if (!a) {
                    *err = where(v.source()) + ": " + kk + ": expected an array of names";
                    return false;
                }
                for (size_t i = 0; i < a->size(); i++) {
                    const toml::node &e = *a->get(i);
                    if (!e.is_string() || e.as_string()->get().empty()) {
                        *err = where(e.source()) + ": " + kk + "[" + std::to_string(i)
                               + "]: expected a plugin name or path";
                        return false;
                    }
                }
            }
            else if (k == "workers") {
                long w;
                if (!get_int(&v, kk, 1, 64, &w, err))
                    return false;
            }
            else if (k == "timeout") {
                std::string text;
                if (!get_string(&v, kk, &text, err))
                    return false;
                auto d = flux::fsd_parse(text);
                if (!d || *d <= 0) {
                    *err = where(v.source()) + ": " + kk + ": invalid duration '" + text + "'";
                    return false;
                }
                copy[role].as_table()->insert_or_assign("timeout", *d);
            }
            else if (!v.is_table()) {
                *err = where(v.source()) + ": " + kk
                       + ": unknown key (expected plugins, timeout, workers, or a plugin's table)";
                return false;
            }
        }
    }
    cfg.attrs["conf.ingest"] = json_text(copy);
    return true;
}

/* [job-manager.NAME] for the site's prolog, epilog and housekeeping. */
bool parse_perilog(const toml::table &tbl, const char *name, Config &cfg, std::string *err)
{
    std::string key = std::string("job-manager.") + name;
    const toml::node *n = tbl.at_path(key).node();
    if (!n)
        return true;
    if (!check_table(n, key, err))
        return false;
    const toml::table &t = *n->as_table();
    bool housekeeping = strcmp(name, "housekeeping") == 0;
    for (auto &&[k, v] : t) {
        if (k != "command" && k != "directory" && k != "timeout"
            && (housekeeping || k != "per-rank")) {
            *err = where(v.source()) + ": " + key + ": unknown key '" + std::string(k.str()) + "'"
                   + (housekeeping && k == "per-rank" ? " (housekeeping runs on every rank)" : "");
            return false;
        }
    }
    json_t *o = json_object();
    const toml::node *cmd = t.get("command");
    const toml::node *dir = t.get("directory");
    if ((cmd != nullptr) == (dir != nullptr)) {
        json_decref(o);
        *err = where(n->source()) + ": " + key + ": expected either command or directory";
        return false;
    }
    if (cmd) {
        const toml::array *a = cmd->as_array();
        if (!a || a->empty()) {
            json_decref(o);
            *err = where(cmd->source()) + ": " + key + ".command: expected a non-empty array of strings";
            return false;
        }
        json_t *argv = json_array();
        json_object_set_new(o, "command", argv);
        for (size_t i = 0; i < a->size(); i++) {
            const toml::node &arg = *a->get(i);
            if (!arg.is_string() || arg.as_string()->get().empty()) {
                json_decref(o);
                *err = where(arg.source()) + ": " + key + ".command[" + std::to_string(i)
                       + "]: expected a non-empty string";
                return false;
            }
            json_array_append_new(argv, json_string(arg.as_string()->get().c_str()));
        }
    }
    else {
        std::string d;
        if (!get_string(dir, key + ".directory", &d, err)) {
            json_decref(o);
            return false;
        }
        struct stat sb;
        if (d.empty() || stat(d.c_str(), &sb) < 0 || !S_ISDIR(sb.st_mode)) {
            json_decref(o);
            *err = where(dir->source()) + ": " + key + ".directory: '" + d
                   + "' is not a directory";
            return false;
        }
        json_object_set_new(o, "directory", json_string(d.c_str()));
    }
    bool per_rank = false;
    if (!get_bool(t.get("per-rank"), key + ".per-rank", &per_rank, err)) {
        json_decref(o);
        return false;
    }
    json_object_set_new(o, "per-rank", json_boolean(per_rank));
    double timeout = strcmp(name, "prolog") == 0 ? 1800 : 0;
    if (const toml::node *tn = t.get("timeout")) {
        std::string text;
        if (tn->is_string())
            text = tn->as_string()->get();
        else if (tn->is_integer())
            text = std::to_string(tn->as_integer()->get());
        auto secs = flux::fsd_parse(text);
        if (!tn->is_string() && !tn->is_integer())
            secs = flux::make_error(EINVAL, "expected a duration such as \"30s\" or \"5m\"");
        if (!secs || *secs < 0) {
            json_decref(o);
            *err = where(tn->source()) + ": " + key + ".timeout: "
                   + (secs ? std::string("expected a duration >= 0") : secs.error().text);
            return false;
        }
        timeout = *secs;
    }
    json_object_set_new(o, "timeout", json_real(timeout));
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!text) {
        *err = key + ": cannot convert to JSON";
        return false;
    }
    cfg.attrs["conf." + key] = text;
    free(text);
    return true;
}

/* [exec] imp = "PATH": an absolute path to an executable (flux-imp(8)). */
bool parse_exec_imp(const toml::table &tbl, Config &cfg, std::string *err)
{
    const toml::node *n = tbl.at_path("exec.imp").node();
    if (!n)
        return true;
    std::string path;
    if (!get_string(n, "exec.imp", &path, err))
        return false;
    if (path.empty() || path[0] != '/' || access(path.c_str(), X_OK) < 0) {
        *err = where(n->source()) + ": exec.imp: '" + path + "' is not an executable absolute path";
        return false;
    }
    cfg.attrs["conf.exec.imp"] = path;
    return true;
}

bool parse_into(const toml::table &tbl, Config &cfg, std::string *err)
{
    if (!parse_exec_imp(tbl, cfg, err))
        return false;
    if (!parse_jobtap(tbl, cfg, err) || !parse_shell(tbl, cfg, err))
        return false;
    if (!parse_ingest(tbl, cfg, err))
        return false;
    for (const char *name : {"prolog", "epilog", "housekeeping"}) {
        if (!parse_perilog(tbl, name, cfg, err))
            return false;
    }
    /* [exec] cgroup = true | false | "auto" (job-exec/cgroup.h). */
    if (const toml::node *cg = tbl.at_path("exec.cgroup").node()) {
        if (auto b = cg->value<bool>(); b && cg->is_boolean())
            cfg.attrs["conf.exec.cgroup"] = *b ? "true" : "false";
        else if (cg->is_string() && cg->as_string()->get() == "auto")
            cfg.attrs["conf.exec.cgroup"] = "auto";
        else {
            *err = where(cg->source()) + ": exec.cgroup: expected true, false or \"auto\"";
            return false;
        }
    }
    for (const char *t : {"bootstrap", "tbon", "access", "broker", "module", "resource"}) {
        if (!check_table(tbl.get(t), t, err))
            return false;
    }
    long fanout = -1;
    if (!get_int(tbl.at_path("tbon.fanout").node(), "tbon.fanout", 1, 1024, &fanout, err))
        return false;
    if (fanout > 0)
        cfg.attrs["tbon.fanout"] = std::to_string(fanout);
    bool guest = false;
    const toml::node *g = tbl.at_path("access.allow-guest-user").node();
    if (!get_bool(g, "access.allow-guest-user", &guest, err))
        return false;
    if (g)
        cfg.attrs["access.allow-guest-user"] = guest ? "true" : "false";
    for (const char *key : {"access.allow-root-owner", "access.allow-guest-list-all"}) {
        bool on = false;
        const toml::node *n = tbl.at_path(key).node();
        if (!get_bool(n, key, &on, err))
            return false;
        if (n)
            cfg.attrs[key] = on ? "true" : "false";
    }
    long quorum = -1, sdt = -1;
    if (!get_int(tbl.at_path("broker.quorum").node(), "broker.quorum", 1, 1L << 30, &quorum, err) ||
        !get_int(tbl.at_path("broker.shutdown-timeout").node(), "broker.shutdown-timeout", 0, 3600,
                 &sdt, err))
        return false;
    if (quorum > 0)
        cfg.attrs["broker.quorum"] = std::to_string(quorum);
    if (sdt >= 0)
        cfg.attrs["broker.shutdown-timeout"] = std::to_string(sdt);
    std::string mpath;
    if (!get_string(tbl.at_path("module.path").node(), "module.path", &mpath, err))
        return false;
    if (!mpath.empty())
        cfg.attrs["conf.module_path"] = mpath;

    for (const char *key : {"exclude", "path"}) {
        std::string v, name = std::string("resource.") + key;
        if (!get_string(tbl.at_path(name).node(), name, &v, err))
            return false;
        if (!v.empty())
            cfg.attrs[name] = v;
    }
    bool noverify = false;
    const toml::node *nv = tbl.at_path("resource.noverify").node();
    if (!get_bool(nv, "resource.noverify", &noverify, err))
        return false;
    if (nv)
        cfg.attrs["resource.noverify"] = noverify ? "true" : "false";
    /* [sched-graph]: the graph scheduler's settings, as attributes. */
    if (!check_table(tbl.get("sched-graph"), "sched-graph", err))
        return false;
    if (const toml::table *sg = tbl["sched-graph"].as_table()) {
        for (auto &&[k, v] : *sg) {
            std::string key(k.str()), name = "sched-graph." + key;
            /* A site match policy's own settings (flux/sched_policy.h). */
            if (key == "policy-conf") {
                if (!v.is_table()) {
                    *err = where(v.source()) + ": " + name + ": expected a table";
                    return false;
                }
                cfg.attrs[name] = json_text(*v.as_table());
                continue;
            }
            /* [sched-graph.queues.NAME]: one named queue's own settings. */
            if (key == "queues") {
                if (!v.is_table()) {
                    *err = where(v.source()) + ": " + name + ": expected a table";
                    return false;
                }
                const toml::table *named = tbl["queues"].as_table();
                for (auto &&[qn, qv] : *v.as_table()) {
                    std::string qname = name + "." + std::string(qn.str());
                    if (!qv.is_table()) {
                        *err = where(qv.source()) + ": " + qname + ": expected a table";
                        return false;
                    }
                    if (!named || !named->contains(qn.str())) {
                        *err = where(qv.source()) + ": " + qname + ": no queue '"
                               + std::string(qn.str()) + "' in [queues]";
                        return false;
                    }
                    for (auto &&[qk, qval] : *qv.as_table()) {
                        std::string k2(qk.str());
                        if (k2 != "queue-policy" && k2 != "reservation-depth"
                            && k2 != "queue-depth") {
                            *err = where(qval.source()) + ": " + qname + "." + k2
                                   + ": unknown key (queue-policy, reservation-depth, "
                                     "queue-depth)";
                            return false;
                        }
                        if (!(k2 == "queue-policy" ? qval.is_string() : qval.is_integer())) {
                            *err = where(qval.source()) + ": " + qname + "." + k2 + ": expected "
                                   + (k2 == "queue-policy" ? "a string" : "an integer");
                            return false;
                        }
                    }
                }
                cfg.attrs[name] = json_text(*v.as_table());
                continue;
            }
            if (key != "match-policy" && key != "queue-policy" && key != "reservation-depth"
                && key != "queue-depth" && key != "mode") {
                *err = where(v.source()) + ": " + name + ": unknown key";
                return false;
            }
            if (auto i = v.value<int64_t>(); i && v.is_integer())
                cfg.attrs[name] = std::to_string(*i);
            else if (auto str = v.value<std::string>())
                cfg.attrs[name] = *str;
            else {
                *err = where(v.source()) + ": " + name + ": expected a string or integer";
                return false;
            }
        }
    }

    const toml::table *bs = tbl["bootstrap"].as_table();
    if (!bs)
        return true;
    std::string auth;
    if (!get_string(bs->get("authenticate"), "bootstrap.authenticate", &auth, err))
        return false;
    if (!auth.empty()) {
        if (auth != "none" && auth != "munge") {
            *err = where(bs->get("authenticate")->source())
                   + ": bootstrap.authenticate: expected \"none\" or \"munge\"";
            return false;
        }
        cfg.attrs["tbon.authenticate"] = auth;
    }
    if (!get_int(bs->get("default_port"), "bootstrap.default_port", 1, 65535, &cfg.default_port,
                 err) ||
        !get_string(bs->get("default_bind"), "bootstrap.default_bind", &cfg.default_bind, err) ||
        !get_string(bs->get("default_connect"), "bootstrap.default_connect", &cfg.default_connect,
                    err))
        return false;
    const toml::node *hn = bs->get("hosts");
    if (!hn)
        return true;
    const toml::array *hosts = hn->as_array();
    if (!hosts) {
        *err = where(hn->source()) + ": bootstrap.hosts: expected an array of tables";
        return false;
    }
    for (size_t i = 0; i < hosts->size(); i++) {
        std::string key = "bootstrap.hosts[" + std::to_string(i) + "]";
        const toml::node &entry = *hosts->get(i);
        const toml::table *e = entry.as_table();
        if (!e) {
            *err = where(entry.source()) + ": " + key + ": expected a table";
            return false;
        }
        for (auto &&[k, v] : *e) {
            if (k != "host" && k != "bind" && k != "connect") {
                *err =
                    where(v.source()) + ": " + key + ": unknown key '" + std::string(k.str()) + "'";
                return false;
            }
        }
        std::string host, bind, connect;
        if (!e->get("host")) {
            *err = where(entry.source()) + ": " + key + ": missing 'host'";
            return false;
        }
        if (!get_string(e->get("host"), key + ".host", &host, err) ||
            !get_string(e->get("bind"), key + ".bind", &bind, err) ||
            !get_string(e->get("connect"), key + ".connect", &connect, err))
            return false;
        std::string herr;
        auto hl = flux::Hostlist::parse(host, &herr);
        if (!hl || hl->count() == 0) {
            *err = where(e->get("host")->source()) + ": " + key +
                   ".host: " + (herr.empty() ? "empty hostlist" : herr);
            return false;
        }
        if (hl->count() > 1 && (!bind.empty() || !connect.empty())) {
            *err = where(entry.source()) + ": " + key +
                   ": bind/connect may only be given for a single host";
            return false;
        }
        for (const auto &h : hl->hosts()) {
            for (const auto &prev : cfg.hosts) {
                if (prev.host == h) {
                    *err =
                        where(entry.source()) + ": " + key + ": host '" + h + "' is listed twice";
                    return false;
                }
            }
            cfg.hosts.push_back(Config::Host{h, bind, connect});
        }
    }
    return true;
}

/* A JSON value as a TOML node (what a .json config file holds: Flux's
 * brokers take JSON config too, which flux batch --conf and Python's
 * JobspecV1.from_nest_command(conf=) write).  false, with the key path in
 * *err, for null, which TOML cannot hold. */
bool json_to_toml(json_t *v, const std::string &path, std::unique_ptr<toml::node> &out,
                  std::string *err)
{
    switch (json_typeof(v)) {
        case JSON_OBJECT: {
            auto t = std::make_unique<toml::table>();
            const char *k;
            json_t *x;
            json_object_foreach(v, k, x)
            {
                std::unique_ptr<toml::node> n;
                if (!json_to_toml(x, path.empty() ? k : path + "." + k, n, err))
                    return false;
                t->insert(k, std::move(*n));
            }
            out = std::move(t);
            return true;
        }
        case JSON_ARRAY: {
            auto a = std::make_unique<toml::array>();
            size_t i;
            json_t *x;
            json_array_foreach(v, i, x)
            {
                std::unique_ptr<toml::node> n;
                if (!json_to_toml(x, path + "[" + std::to_string(i) + "]", n, err))
                    return false;
                a->push_back(std::move(*n));
            }
            out = std::move(a);
            return true;
        }
        case JSON_STRING:
            out = std::make_unique<toml::value<std::string>>(
                std::string(json_string_value(v), json_string_length(v)));
            return true;
        case JSON_INTEGER:
            out = std::make_unique<toml::value<int64_t>>((int64_t)json_integer_value(v));
            return true;
        case JSON_REAL:
            out = std::make_unique<toml::value<double>>(json_real_value(v));
            return true;
        case JSON_TRUE:
        case JSON_FALSE:
            out = std::make_unique<toml::value<bool>>(json_is_true(v));
            return true;
        case JSON_NULL:
            break;
    }
    *err = (path.empty() ? std::string("the document") : path) + ": null has no TOML form";
    return false;
}

bool parse_json_file(const std::string &file, toml::table &t, std::string *err)
{
    json_error_t jerr;
    json_t *o = json_load_file(file.c_str(), 0, &jerr);
    if (!o) {
        *err = file + ":" + std::to_string(jerr.line) + ":" + std::to_string(jerr.column) + ": "
               + jerr.text;
        return false;
    }
    std::unique_ptr<toml::node> n;
    bool ok = json_is_object(o) && json_to_toml(o, "", n, err);
    if (!json_is_object(o))
        *err = "must be a JSON object";
    json_decref(o);
    if (!ok) {
        *err = file + ": " + *err;
        return false;
    }
    t = std::move(*n->as_table());
    json_sources += (json_sources.empty() ? "" : ",") + file;
    return true;
}

bool load_file(const std::string &file, toml::table &merged, std::string *err)
{
    toml::table t;
    if (file.size() > 5 && file.compare(file.size() - 5, 5, ".json") == 0) {
        if (!parse_json_file(file, t, err))
            return false;
    }
    else try {
        t = toml::parse_file(file);
    } catch (const toml::parse_error &e) {
        const auto &src = e.source();
        *err = file + ":" + std::to_string(src.begin.line) + ":" +
               std::to_string(src.begin.column) + ": " + std::string(e.description());
        return false;
    }
    for (auto &&[k, v] : t) {
        if (merged.contains(k)) {
            *err = file + ": table '" + std::string(k.str()) + "' is also defined in another file";
            return false;
        }
        /* Move, not copy: a copied toml++ node loses its source position,
         * and later errors must still name file and line. */
        merged.insert(k, std::move(v));
    }
    return true;
}

} // namespace

std::string uri_expand(const std::string &tmpl, const std::string &host, long port)
{
    std::string out;
    for (size_t i = 0; i < tmpl.size(); i++) {
        if (tmpl[i] == '%' && i + 1 < tmpl.size()) {
            if (tmpl[i + 1] == 'h') {
                out += host;
                i++;
                continue;
            }
            if (tmpl[i + 1] == 'p') {
                out += std::to_string(port);
                i++;
                continue;
            }
        }
        out += tmpl[i];
    }
    return out;
}

flux::Result<Config> config_load(const std::string &path)
{
    struct stat sb;
    if (stat(path.c_str(), &sb) < 0)
        return flux::make_error(errno, "config path " + path + ": " + strerror(errno));
    std::string e;
    std::string *err = &e;
    std::vector<std::string> files;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path.c_str());
        if (!d)
            return flux::make_error(errno, "config path " + path + ": " + strerror(errno));
        while (struct dirent *de = readdir(d)) {
            std::string n = de->d_name;
            if (n.size() > 5 && n.compare(n.size() - 5, 5, ".toml") == 0)
                files.push_back(path + "/" + n);
        }
        closedir(d);
        std::sort(files.begin(), files.end());
    }
    else
        files.push_back(path);
    toml::table merged;
    json_sources.clear();
    for (const auto &f : files) {
        if (access(f.c_str(), R_OK) < 0)
            return flux::make_error(errno, f + ": " + strerror(errno));
        if (!load_file(f, merged, err))
            return flux::make_error(EINVAL, e);
    }
    Config cfg;
    if (!parse_into(merged, cfg, err))
        return flux::make_error(EINVAL, e);
    cfg.json = json_text(merged);
    return cfg;
}

flux::Result<BootInfo> boot_from_config(const Config &cfg, const std::string &hostname)
{
    BootInfo b;
    b.method = "config";
    if (cfg.hosts.empty()) {
        b.rank = 0;
        b.size = 1;
        b.hostnames.push_back(hostname);
        b.connect_uri.push_back("");
        return b;
    }
    bool found = false;
    for (size_t i = 0; i < cfg.hosts.size(); i++) {
        const auto &h = cfg.hosts[i];
        b.hostnames.push_back(h.host);
        b.connect_uri.push_back(uri_expand(h.connect.empty() ? cfg.default_connect : h.connect,
                                           h.host, cfg.default_port));
        if (h.host == hostname) {
            b.rank = (uint32_t)i;
            b.bind_uri =
                uri_expand(h.bind.empty() ? cfg.default_bind : h.bind, h.host, cfg.default_port);
            found = true;
        }
    }
    if (!found)
        return flux::make_error(ENOENT, "hostname '" + hostname + "' is not in bootstrap.hosts");
    b.size = (uint32_t)cfg.hosts.size();
    return b;
}

BootInfo boot_for_test(uint32_t rank, uint32_t size, const std::string &dir)
{
    BootInfo b;
    b.method = "test";
    b.rank = rank;
    b.size = size;
    for (uint32_t r = 0; r < size; r++)
        b.connect_uri.push_back("ipc://" + dir + "/rank-" + std::to_string(r) + "/tbon");
    b.bind_uri = b.connect_uri[rank];
    return b;
}

} // namespace fluxd
