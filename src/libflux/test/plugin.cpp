/* libflux/test/plugin.cpp - Criterion tests for the one plugin loader:
 * the API version rule, dso_open errors, handler registration and topic
 * globs, lazy IN arguments, OUT, conf and aux. */
#include <criterion/criterion.h>

#include <cerrno>
#include <string>

#include "libflux/plugin_internal.h"

namespace {

struct version_case {
    uint32_t found, host;
    bool ok;
};

const version_case version_cases[] = {
    {0x10000, 0x10000, true},  /* 1.0 on 1.0 */
    {0x10000, 0x10003, true},  /* 1.0 on 1.3: older minor */
    {0x10003, 0x10003, true},  /* 1.3 on 1.3 */
    {0x10004, 0x10003, false}, /* 1.4 on 1.3: newer minor */
    {0x20000, 0x10000, false}, /* 2.0 on 1.0 */
    {0x00000, 0x10000, false}, /* 0.0 on 1.0 */
    {0x10000, 0x20000, false}, /* 1.0 on 2.0 */
};

int calls_a, calls_b;
std::string last_topic;

int cb_a(flux_plugin_t *, const char *topic, flux_plugin_arg_t *, void *data)
{
    calls_a++;
    last_topic = topic;
    return data ? -1 : 0;
}

int cb_b(flux_plugin_t *, const char *topic, flux_plugin_arg_t *, void *)
{
    calls_b++;
    last_topic = topic;
    return 0;
}

int builds;
json_t *build(void *ctx)
{
    builds++;
    return json_pack("{s:i}", "x", *(int *)ctx);
}

int destroyed;
void destroy(void *)
{
    destroyed++;
}

std::unique_ptr<flux_plugin> make(const char *name, json_t *conf = nullptr)
{
    auto p = flux_plugin::create(name, nullptr, conf, nullptr);
    cr_assert(p.has_value(), "create: %s", p ? "" : p.error().text.c_str());
    return std::move(*p);
}

} // namespace

Test(plugin, api_version_rule)
{
    for (const auto &c : version_cases) {
        auto r = flux::api_version_check("/x.so", "jobtap plugin", "job manager", c.found, c.host);
        cr_expect_eq(r.has_value(), c.ok, "found %x host %x", c.found, c.host);
    }
    auto r = flux::api_version_check("/p/x.so", "jobtap plugin", "job manager", 0x20001, 0x10000);
    cr_assert(!r);
    cr_expect_str_eq(r.error().text.c_str(),
                     "/p/x.so: jobtap plugin API version 2.1 is not supported "
                     "(job manager has 1.0)");
}

Test(plugin, dso_open_errors)
{
    auto r = flux::dso_open("/nonexistent/dir/x.so");
    cr_assert(!r);
    cr_expect_eq(r.error().errnum, ENOENT);
    cr_expect_str_eq(r.error().text.c_str(), "/nonexistent/dir/x.so: No such file or directory");
    r = flux::dso_open("/");
    cr_assert(!r);
    cr_expect_str_eq(r.error().text.c_str(), "/: not a regular file");
    r = flux::dso_open("/etc/hostname");
    cr_assert(!r);
    cr_expect(r.error().text.rfind("/etc/hostname: cannot load: ", 0) == 0, "%s",
              r.error().text.c_str());
}

Test(plugin, load_errors_name_the_file)
{
    flux::PluginKind kind = {"jobtap plugin", "job manager", "flux_jobtap_plugin_info", 0x10000};
    auto r = flux_plugin::load("/nonexistent/y.so", kind, nullptr, nullptr);
    cr_assert(!r);
    cr_expect_str_eq(r.error().text.c_str(), "/nonexistent/y.so: No such file or directory");
    /* libc is a shared object without the info symbol. */
    r = flux_plugin::load("/lib/x86_64-linux-gnu/libc.so.6", kind, nullptr, nullptr);
    if (!r && r.error().errnum != ENOENT)
        cr_expect_str_eq(r.error().text.c_str(),
                         "/lib/x86_64-linux-gnu/libc.so.6 is not a jobtap plugin: it does "
                         "not export flux_jobtap_plugin_info");
}

Test(plugin, register_and_first_match_wins)
{
    auto p = make("t");
    const struct flux_plugin_handler tab[] = {
        {"job.state.run", cb_b, nullptr},
        {"job.state.*", cb_a, nullptr},
        {nullptr, nullptr, nullptr},
    };
    cr_assert_eq(flux_plugin_register(p.get(), "renamed", tab), 0);
    cr_expect_str_eq(flux_plugin_get_name(p.get()), "renamed");
    cr_expect_null(flux_plugin_get_path(p.get()));
    calls_a = calls_b = 0;
    cr_expect_eq(p->call("job.state.run", nullptr), 1);
    cr_expect_eq(calls_b, 1);
    cr_expect_eq(calls_a, 0);
    cr_expect_eq(p->call("job.state.sched", nullptr), 1);
    cr_expect_eq(calls_a, 1);
    cr_expect_str_eq(last_topic.c_str(), "job.state.sched");
    cr_expect_eq(p->call("job.event.start", nullptr), 0);
    cr_expect(!p->matches("job.new"));
    cr_expect(p->matches("job.state.inactive"));
    /* A bad entry registers nothing. */
    const struct flux_plugin_handler bad[] = {
        {"job.new", cb_a, nullptr},
        {"job.x", nullptr, nullptr},
        {nullptr, nullptr, nullptr},
    };
    cr_expect_eq(flux_plugin_register(p.get(), nullptr, bad), -1);
    cr_expect_eq(errno, EINVAL);
    cr_expect(!p->matches("job.new"));
    cr_expect_eq(flux_plugin_add_handler(p.get(), "", cb_a, nullptr), -1);
    cr_expect_eq(flux_plugin_add_handler(p.get(), "job.new", cb_a, (void *)1), 0);
    cr_expect_eq(p->call("job.new", nullptr), -1);
}

Test(plugin, in_is_built_only_when_read)
{
    int x = 7;
    builds = 0;
    flux_plugin_arg_t args(build, &x);
    cr_expect_eq(builds, 0);
    int got = 0;
    cr_assert_eq(flux_plugin_arg_unpack(&args, FLUX_PLUGIN_ARG_IN, "{s:i}", "x", &got), 0);
    cr_expect_eq(got, 7);
    cr_assert_eq(flux_plugin_arg_unpack(&args, FLUX_PLUGIN_ARG_IN, "{s:i}", "x", &got), 0);
    cr_expect_eq(builds, 1);
    cr_expect_eq(flux_plugin_arg_unpack(&args, FLUX_PLUGIN_ARG_IN, "{s:s}", "x", &got), -1);
    cr_expect_eq(errno, EINVAL);
    cr_expect(std::string(flux_plugin_arg_strerror(&args)).size() > 0);
    /* Packing into IN merges with what was built. */
    cr_assert_eq(flux_plugin_arg_pack(&args, FLUX_PLUGIN_ARG_IN, "{s:i}", "y", 2), 0);
    int y = 0;
    cr_assert_eq(flux_plugin_arg_unpack(&args, FLUX_PLUGIN_ARG_IN, "{s:i s:i}", "x", &got, "y", &y),
                 0);
    cr_expect_eq(y, 2);
}

Test(plugin, out)
{
    flux_plugin_arg_t args;
    const char *s = nullptr;
    cr_expect_eq(flux_plugin_arg_unpack(&args, FLUX_PLUGIN_ARG_OUT, "{s:s}", "a", &s), -1);
    cr_expect_eq(errno, ENOENT);
    cr_assert_eq(flux_plugin_arg_pack(&args, FLUX_PLUGIN_ARG_OUT, "{s:s}", "a", "1"), 0);
    cr_assert_eq(flux_plugin_arg_pack(&args, FLUX_PLUGIN_ARG_OUT, "{s:s s:s}", "a", "2", "b", "3"),
                 0);
    const char *b = nullptr;
    cr_assert_eq(flux_plugin_arg_unpack(&args, FLUX_PLUGIN_ARG_OUT, "{s:s s:s}", "a", &s, "b", &b),
                 0);
    cr_expect_str_eq(s, "2");
    cr_expect_str_eq(b, "3");
    cr_expect_eq(flux_plugin_arg_pack(&args, FLUX_PLUGIN_ARG_OUT, "[i]", 1), -1);
    cr_expect_eq(flux_plugin_arg_pack(&args, 5, "{s:i}", "a", 1), -1);
}

Test(plugin, conf)
{
    auto p = make("c");
    cr_expect_str_eq(flux_plugin_get_conf(p.get()), "{}");
    json_t *conf = json_pack("{s:i s:s}", "n", 3, "s", "x");
    auto q = make("d", conf);
    json_decref(conf);
    int n = 0;
    const char *s = nullptr;
    cr_assert_eq(flux_plugin_conf_unpack(q.get(), "{s:i s:s}", "n", &n, "s", &s), 0);
    cr_expect_eq(n, 3);
    cr_expect_str_eq(s, "x");
    cr_expect_str_eq(flux_plugin_get_conf(q.get()), "{\"n\":3,\"s\":\"x\"}");
    cr_expect_eq(flux_plugin_conf_unpack(q.get(), "{s:s}", "n", &s), -1);
    json_t *arr = json_array();
    auto r = flux_plugin::create("e", nullptr, arr, nullptr);
    json_decref(arr);
    cr_expect(!r);
}

Test(plugin, aux_destroyed_on_replace_delete_and_unload)
{
    destroyed = 0;
    {
        auto p = make("a");
        int v1, v2, v3;
        cr_assert_eq(flux_plugin_aux_set(p.get(), "k", &v1, destroy), 0);
        cr_expect_eq(flux_plugin_aux_get(p.get(), "k"), &v1);
        cr_assert_eq(flux_plugin_aux_set(p.get(), "k", &v2, destroy), 0);
        cr_expect_eq(destroyed, 1);
        cr_assert_eq(flux_plugin_aux_set(p.get(), "k", nullptr, nullptr), 0);
        cr_expect_eq(destroyed, 2);
        cr_expect_null(flux_plugin_aux_get(p.get(), "k"));
        cr_expect_eq(errno, ENOENT);
        cr_assert_eq(flux_plugin_aux_set(p.get(), "k", &v3, destroy), 0);
        cr_expect_eq(flux_plugin_aux_set(p.get(), nullptr, &v3, destroy), -1);
    }
    cr_expect_eq(destroyed, 3);
}
