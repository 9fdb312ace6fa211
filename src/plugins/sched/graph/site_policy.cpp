/* site_policy.cpp - a match policy from a site's shared object
 * (flux/sched_policy.h), opened with the one plugin loader (flux::dso_open,
 * flux::api_version_check).  See match.h. */
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "flux/sched_policy.h"
#include "libflux/plugin_internal.h"
#include "match.h"

namespace flux::graph {

namespace {

class SitePolicy : public Policy {
  public:
    SitePolicy(Dso dso, const flux_sched_policy *info, std::string name, void *data)
        : dso_(std::move(dso)), info_(info), name_(std::move(name)), data_(data)
    {
    }
    ~SitePolicy() override
    {
        if (info_->fini)
            info_->fini(data_);
    }
    const char *name() const override { return name_.c_str(); }

    bool order(const Planner &p, int32_t v, uint16_t type, int64_t need,
               std::vector<int32_t> &out) const override
    {
        const Graph &g = p.graph();
        out.clear();
        for (int32_t c = v + 1; c < g[v].end; c = g[c].end)
            out.push_back(c);
        if (out.size() < 2)
            return true;
        /* The views live in member buffers: no allocation once warm. */
        size_t n = out.size();
        views_.resize(n);
        names_.resize(n);
        const bool typed = type < p.T();
        const char *want = typed ? g.type_name(type).c_str() : "";
        for (size_t i = 0; i < n; i++) {
            int32_t c = out[i];
            names_[i] = g.name(c);
            flux_sched_vertex &x = views_[i];
            x.type = g.type_name(g[c].type).c_str();
            x.name = names_[i].c_str();
            x.id = g[c].id;
            x.rank = g[c].rank;
            x.depth = g[c].depth;
            x.index = c;
            x.want = want;
            x.need = need;
            x.free = typed ? p.free_now(c, type) : 0;
            x.total = typed ? p.total(c, type) : 0;
        }
        idx_.resize(n);
        for (size_t i = 0; i < n; i++)
            idx_[i] = i;
        if (info_->score) {
            scores_.resize(n);
            for (size_t i = 0; i < n; i++)
                scores_[i] = info_->score(&views_[i], data_);
            std::stable_sort(idx_.begin(), idx_.end(),
                             [&](size_t a, size_t b) { return scores_[a] < scores_[b]; });
        }
        else {
            std::stable_sort(idx_.begin(), idx_.end(), [&](size_t a, size_t b) {
                return info_->compare(&views_[a], &views_[b], data_) < 0;
            });
        }
        for (size_t i = 0; i < n; i++)
            out[i] = views_[idx_[i]].index;
        return true;
    }

  private:
    Dso dso_;
    const flux_sched_policy *info_;
    std::string name_;
    void *data_;
    mutable std::vector<flux_sched_vertex> views_;
    mutable std::vector<std::string> names_;
    mutable std::vector<double> scores_;
    mutable std::vector<size_t> idx_;
};

} // namespace

Result<std::unique_ptr<Policy>> policy_load(const std::string &path, const std::string &conf)
{
    auto dso = dso_open(path);
    if (!dso)
        return dso.error();
    auto *info = static_cast<const flux_sched_policy *>(dso->symbol(FLUX_SCHED_POLICY_INFO_SYMBOL));
    if (!info)
        return make_error(EINVAL, path + " is not a sched-graph match policy: it does not export "
                                      FLUX_SCHED_POLICY_INFO_SYMBOL);
    if (auto ok = api_version_check(path, "sched-graph match policy", "sched-graph",
                                    info->api_version, FLUX_SCHED_POLICY_API_VERSION);
        !ok)
        return ok.error();
    std::string name = info->name && *info->name ? info->name : path;
    if (!info->name || !*info->name) {
        name = path.substr(path.rfind('/') + 1);
        if (name.ends_with(".so"))
            name.resize(name.size() - 3);
    }
    if (!info->score && !info->compare)
        return make_error(EINVAL, path + ": policy " + name + " sets neither score nor compare");
    void *data = nullptr;
    if (info->init && info->init(conf.c_str(), &data) != 0)
        return make_error(EINVAL, path + ": policy " + name + ": init failed");
    std::unique_ptr<Policy> p = std::make_unique<SitePolicy>(std::move(*dso), info, name, data);
    return p;
}

Result<std::unique_ptr<Policy>> policy_open(const std::string &name_or_path,
                                            const std::string &conf)
{
    if (name_or_path.find('/') != std::string::npos)
        return policy_load(name_or_path, conf);
    auto p = policy_create(name_or_path);
    if (!p)
        return make_error(EINVAL, "'" + name_or_path + "': expected one of " + policy_names()
                                      + ", or the path of a site policy (a .so)");
    return p;
}

} // namespace flux::graph
