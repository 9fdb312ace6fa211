/* fluxd/test/boot.cpp - Criterion tests for TOML config loading and broker boot (config_load,
 * boot_from_config, boot_for_test, uri_expand). */
#include <criterion/criterion.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "boot.h"

using fluxd::boot_for_test;
using fluxd::Config;
using fluxd::uri_expand;

/* Adapters from Result to the optional + error text the tables check. */
static std::optional<Config> config_load(const std::string &path, std::string *err)
{
    auto r = fluxd::config_load(path);
    if (!r) {
        *err = r.error().text;
        return std::nullopt;
    }
    return std::move(*r);
}

static std::optional<fluxd::BootInfo>
boot_from_config(const Config &cfg, const std::string &host, std::string *err)
{
    auto r = fluxd::boot_from_config(cfg, host);
    if (!r) {
        *err = r.error().text;
        return std::nullopt;
    }
    return std::move(*r);
}

/* Criterion's string assertions keep the raw pointer past the end of the
 * full expression, so std::string temporaries (actual and expected) must be
 * held in locals. */
#define expect_str(actual, expected, ...)                                                          \
    do {                                                                                           \
        const std::string got_ = (actual);                                                         \
        const std::string want_ = (expected);                                                      \
        cr_expect_str_eq(got_.c_str(), want_.c_str() __VA_OPT__(, ) __VA_ARGS__);                  \
    } while (0)

#define expect_contains(haystack, needle, ...)                                                     \
    do {                                                                                           \
        const std::string h_ = (haystack);                                                         \
        const std::string n_ = (needle);                                                           \
        cr_expect(h_.find(n_) != std::string::npos, "'%s' does not contain '%s'", h_.c_str(),      \
                  n_.c_str());                                                                     \
    } while (0)

namespace {

/* A private directory under /tmp, removed with everything in it. */
class TempDir {
  public:
    TempDir()
    {
        char tmpl[] = "/tmp/fluxd-boot-test.XXXXXX";
        cr_assert_not_null(mkdtemp(tmpl), "mkdtemp failed");
        path_ = tmpl;
    }
    ~TempDir()
    {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::string &path() const { return path_; }
    /* Write NAME (relative) with TEXT; returns the full path. */
    std::string write(const std::string &name, const std::string &text) const
    {
        std::string full = path_ + "/" + name;
        std::ofstream f(full);
        cr_assert(f.good(), "cannot create %s", full.c_str());
        f << text;
        f.close();
        cr_assert(!f.fail(), "cannot write %s", full.c_str());
        return full;
    }

  private:
    std::string path_;
};

Config must_load(const std::string &path)
{
    std::string err;
    auto cfg = config_load(path, &err);
    cr_assert(cfg.has_value(), "config_load(%s) failed: %s", path.c_str(), err.c_str());
    return *cfg;
}

const char *full_config = R"(# an instance of five brokers
[bootstrap]
default_port = 9000
default_bind = "tcp://eth0:%p"
default_connect = "tcp://%h.cluster:%p"
hosts = [
    { host = "node[0-3]" },
    { host = "login", bind = "tcp://10.0.0.1:%p", connect = "tcp://login-ib:8999" },
]

[tbon]
fanout = 4

[access]
allow-guest-user = true

[broker]
quorum = 3
shutdown-timeout = 30

[module]
path = "/opt/flux/modules"

[resource]
noverify = true
)";

} // namespace

/* uri_expand ---------------------------------------------------------------*/

Test(boot, uri_expand)
{
    const struct {
        const char *tmpl;
        const char *host;
        long port;
        const char *want;
    } cases[] = {
        {"tcp://%h:%p", "node0", 8050, "tcp://node0:8050"},
        {"tcp://*:%p", "node0", 1, "tcp://*:1"},
        {"tcp://%h.ib:%p", "n1", 65535, "tcp://n1.ib:65535"},
        {"%h%h%p%p", "a", 12, "aa1212"},
        {"no-templates", "h", 1, "no-templates"},
        {"", "h", 1, ""},
        {"%", "h", 1, "%"},
        {"tcp://%h:%", "h", 1, "tcp://h:%"},
        {"%x%H%P", "h", 1, "%x%H%P"},
        {"%%h", "h", 1, "%h"},
        {"%h", "", 1, ""},
    };
    for (const auto &tc : cases)
        expect_str(uri_expand(tc.tmpl, tc.host, tc.port), tc.want, "uri_expand('%s')", tc.tmpl);
}

/* config_load: valid --------------------------------------------------------*/

Test(boot, load_full_config)
{
    TempDir d;
    Config cfg = must_load(d.write("system.toml", full_config));
    cr_expect_eq(cfg.default_port, 9000);
    expect_str(cfg.default_bind, "tcp://eth0:%p");
    expect_str(cfg.default_connect, "tcp://%h.cluster:%p");

    const struct {
        const char *host, *bind, *connect;
    } hosts[] = {
        {"node0", "", ""},
        {"node1", "", ""},
        {"node2", "", ""},
        {"node3", "", ""},
        {"login", "tcp://10.0.0.1:%p", "tcp://login-ib:8999"},
    };
    cr_assert_eq(cfg.hosts.size(), 5u);
    for (size_t i = 0; i < 5; i++) {
        expect_str(cfg.hosts[i].host, hosts[i].host, "host %zu", i);
        expect_str(cfg.hosts[i].bind, hosts[i].bind, "bind %zu", i);
        expect_str(cfg.hosts[i].connect, hosts[i].connect, "connect %zu", i);
    }

    const struct {
        const char *key, *value;
    } attrs[] = {
        {"tbon.fanout", "4"},
        {"access.allow-guest-user", "true"},
        {"broker.quorum", "3"},
        {"broker.shutdown-timeout", "30"},
        {"conf.module_path", "/opt/flux/modules"},
        {"resource.noverify", "true"},
    };
    cr_expect_eq(cfg.attrs.size(), 6u, "only the known settings are flattened");
    for (const auto &a : attrs) {
        auto it = cfg.attrs.find(a.key);
        cr_expect(it != cfg.attrs.end(), "attrs lacks %s", a.key);
        if (it != cfg.attrs.end())
            cr_expect_str_eq(it->second.c_str(), a.value, "%s", a.key);
    }
}

Test(boot, load_defaults)
{
    TempDir d;
    const struct {
        const char *name;
        const char *text;
    } cases[] = {
        {"empty.toml", ""},
        {"comment.toml", "# nothing here\n"},
        {"other.toml", "[resource]\nexclude = \"\"\n"},
        {"bootstrap-empty.toml", "[bootstrap]\n"},
        {"no-hosts.toml", "[bootstrap]\ndefault_port = 8050\n"},
        {"hosts-empty.toml", "[bootstrap]\nhosts = []\n"},
    };
    for (const auto &tc : cases) {
        Config cfg = must_load(d.write(tc.name, tc.text));
        cr_expect(cfg.hosts.empty(), "%s", tc.name);
        cr_expect(cfg.attrs.empty(), "%s", tc.name);
        cr_expect_eq(cfg.default_port, 8050, "%s", tc.name);
        expect_str(cfg.default_bind, "tcp://*:%p", "%s", tc.name);
        expect_str(cfg.default_connect, "tcp://%h:%p", "%s", tc.name);
    }
    /* allow-guest-user = false is recorded too */
    Config cfg = must_load(d.write("guest.toml", "[access]\nallow-guest-user = false\n"));
    auto it = cfg.attrs.find("access.allow-guest-user");
    cr_assert(it != cfg.attrs.end());
    cr_expect_str_eq(it->second.c_str(), "false");
}

Test(boot, load_hostlists)
{
    TempDir d;
    const struct {
        const char *hosts_toml;
        std::vector<std::string> want;
    } cases[] = {
        {R"([{ host = "node[0-3]" }])", {"node0", "node1", "node2", "node3"}},
        {R"([{ host = "a" }, { host = "b" }, { host = "c" }])", {"a", "b", "c"}},
        {R"([{ host = "n[01-03]" }])", {"n01", "n02", "n03"}},
        {R"([{ host = "x[3,1,2]" }])", {"x3", "x1", "x2"}},
        {R"([{ host = "fe,be[0-1]" }, { host = "z" }])", {"fe", "be0", "be1", "z"}},
    };
    int i = 0;
    for (const auto &tc : cases) {
        std::string text = std::string("[bootstrap]\nhosts = ") + tc.hosts_toml + "\n";
        Config cfg = must_load(d.write("h" + std::to_string(i++) + ".toml", text));
        cr_expect_eq(cfg.hosts.size(), tc.want.size(), "%s", tc.hosts_toml);
        for (size_t k = 0; k < cfg.hosts.size() && k < tc.want.size(); k++)
            expect_str(cfg.hosts[k].host, tc.want[k].c_str(), "%s [%zu]", tc.hosts_toml, k);
    }
}

Test(boot, load_directory)
{
    TempDir d;
    d.write("10-bootstrap.toml", "[bootstrap]\ndefault_port = 7000\n"
                                 "hosts = [ { host = \"c[0-1]\" } ]\n");
    d.write("20-tbon.toml", "[tbon]\nfanout = 8\n");
    d.write("30-access.toml", "[access]\nallow-guest-user = true\n");
    d.write("README", "this is [not toml\n");      /* ignored: not *.toml */
    d.write("40-x.toml.bak", "also [ not toml\n"); /* ignored */
    d.write(".toml", "= broken\n");                /* ignored: no name before .toml */
    Config cfg = must_load(d.path());
    cr_assert_eq(cfg.hosts.size(), 2u);
    expect_str(cfg.hosts[0].host, "c0");
    expect_str(cfg.hosts[1].host, "c1");
    cr_expect_eq(cfg.default_port, 7000);
    cr_expect_eq(cfg.attrs.size(), 2u);
    auto f = cfg.attrs.find("tbon.fanout");
    cr_assert(f != cfg.attrs.end());
    cr_expect_str_eq(f->second.c_str(), "8");

    /* an empty directory is an empty config */
    TempDir empty;
    Config none = must_load(empty.path());
    cr_expect(none.hosts.empty());
    cr_expect(none.attrs.empty());
}

Test(boot, load_directory_errors)
{
    {
        /* the same table in two files */
        TempDir d;
        d.write("a.toml", "[tbon]\nfanout = 2\n");
        std::string b = d.write("b.toml", "[tbon]\nfanout = 4\n");
        std::string err;
        cr_expect(!config_load(d.path(), &err).has_value());
        expect_contains(err, b + ": table 'tbon' is also defined in another file");
    }
    {
        /* one bad file spoils the directory, and is named */
        TempDir d;
        d.write("a.toml", "[tbon]\nfanout = 2\n");
        std::string bad = d.write("b.toml", "[access\n");
        std::string err;
        cr_expect(!config_load(d.path(), &err).has_value());
        expect_contains(err, bad + ":1:");
    }
}

/* config_load: errors ------------------------------------------------------*/

Test(boot, load_syntax_error)
{
    TempDir d;
    const struct {
        const char *name;
        const char *text;
        int line;
    } cases[] = {
        {"garbage.toml", "[tbon]\nfanout = 2\nthis is not toml\n", 3},
        {"unclosed.toml", "[bootstrap\n", 1},
        {"dupkey.toml", "[tbon]\nfanout = 2\nfanout = 3\n", 3},
        {"badvalue.toml", "# c\n# c\n[tbon]\nfanout = \n", 4},
        {"badstring.toml", "[module]\n\npath = \"/x\n", 3},
    };
    for (const auto &tc : cases) {
        std::string path = d.write(tc.name, tc.text);
        std::string err;
        auto cfg = config_load(path, &err);
        cr_expect(!cfg.has_value(), "%s should fail", tc.name);
        /* "FILE:LINE:COL: description" */
        expect_contains(err, path + ":" + std::to_string(tc.line) + ":");
        cr_expect(err.rfind(path, 0) == 0, "'%s' should start with the file name", err.c_str());
    }
}

Test(boot, load_semantic_errors)
{
    TempDir d;
    const struct {
        const char *text;
        const char *error; /* expected substring */
    } cases[] = {
        /* tables that must be tables */
        {"bootstrap = 5\n", "bootstrap: expected a table"},
        {"tbon = \"x\"\n", "tbon: expected a table"},
        {"access = []\n", "access: expected a table"},
        {"broker = true\n", "broker: expected a table"},
        {"module = 1\n", "module: expected a table"},
        /* hosts */
        {"[bootstrap]\nhosts = \"node0\"\n", "bootstrap.hosts: expected an array of tables"},
        {"[bootstrap]\nhosts = 3\n", "bootstrap.hosts: expected an array of tables"},
        {"[bootstrap]\n[bootstrap.hosts]\nhost = \"a\"\n",
         "bootstrap.hosts: expected an array of tables"},
        {"[bootstrap]\nhosts = [ \"node0\" ]\n", "bootstrap.hosts[0]: expected a table"},
        {"[bootstrap]\nhosts = [ { host = \"a\" }, 7 ]\n", "bootstrap.hosts[1]: expected a table"},
        {"[bootstrap]\nhosts = [ { bind = \"tcp://x:1\" } ]\n",
         "bootstrap.hosts[0]: missing 'host'"},
        {"[bootstrap]\nhosts = [ {} ]\n", "bootstrap.hosts[0]: missing 'host'"},
        {"[bootstrap]\nhosts = [ { host = \"a\", port = 5 } ]\n",
         "bootstrap.hosts[0]: unknown key 'port'"},
        {"[bootstrap]\nhosts = [ { host = \"a\" }, { host = \"b\", Bind = \"x\" } ]\n",
         "bootstrap.hosts[1]: unknown key 'Bind'"},
        {"[bootstrap]\nhosts = [ { host = 5 } ]\n", "bootstrap.hosts[0].host: expected a string"},
        {"[bootstrap]\nhosts = [ { host = \"a\", bind = 1 } ]\n",
         "bootstrap.hosts[0].bind: expected a string"},
        {"[bootstrap]\nhosts = [ { host = \"a\", connect = [] } ]\n",
         "bootstrap.hosts[0].connect: expected a string"},
        {"[bootstrap]\nhosts = [ { host = \"\" } ]\n", "bootstrap.hosts[0].host: empty hostlist"},
        {"[bootstrap]\nhosts = [ { host = \"node[0-\" } ]\n", "bootstrap.hosts[0].host: hostlist:"},
        {"[bootstrap]\nhosts = [ { host = \"node[3-1]\" } ]\n",
         "bootstrap.hosts[0].host: hostlist:"},
        {"[bootstrap]\nhosts = [ { host = \"n[0-1]\", bind = \"tcp://x:1\" } ]\n",
         "bootstrap.hosts[0]: bind/connect may only be given for a single host"},
        {"[bootstrap]\nhosts = [ { host = \"n[0-1]\", connect = \"tcp://x:1\" } ]\n",
         "bootstrap.hosts[0]: bind/connect may only be given for a single host"},
        /* duplicates, within one entry and across entries */
        {"[bootstrap]\nhosts = [ { host = \"a\" }, { host = \"a\" } ]\n",
         "bootstrap.hosts[1]: host 'a' is listed twice"},
        {"[bootstrap]\nhosts = [ { host = \"x\" }, { host = \"node[0-2]\" }, { host = \"node1\" } "
         "]\n",
         "bootstrap.hosts[2]: host 'node1' is listed twice"},
        {"[bootstrap]\nhosts = [ { host = \"n1,n2,n1\" } ]\n",
         "bootstrap.hosts[0]: host 'n1' is listed twice"},
        /* ports */
        {"[bootstrap]\ndefault_port = 0\n", "bootstrap.default_port: 0 is out of range [1-65535]"},
        {"[bootstrap]\ndefault_port = 65536\n",
         "bootstrap.default_port: 65536 is out of range [1-65535]"},
        {"[bootstrap]\ndefault_port = -1\n",
         "bootstrap.default_port: -1 is out of range [1-65535]"},
        {"[bootstrap]\ndefault_port = \"8050\"\n", "bootstrap.default_port: expected an integer"},
        {"[bootstrap]\ndefault_port = 80.5\n", "bootstrap.default_port: expected an integer"},
        {"[bootstrap]\ndefault_bind = 5\n", "bootstrap.default_bind: expected a string"},
        {"[bootstrap]\ndefault_connect = false\n", "bootstrap.default_connect: expected a string"},
        /* tbon.fanout */
        {"[tbon]\nfanout = \"2\"\n", "tbon.fanout: expected an integer"},
        {"[tbon]\nfanout = 2.0\n", "tbon.fanout: expected an integer"},
        {"[tbon]\nfanout = true\n", "tbon.fanout: expected an integer"},
        {"[tbon]\nfanout = 0\n", "tbon.fanout: 0 is out of range [1-1024]"},
        {"[tbon]\nfanout = 1025\n", "tbon.fanout: 1025 is out of range [1-1024]"},
        /* others */
        {"[access]\nallow-guest-user = 1\n", "access.allow-guest-user: expected true or false"},
        {"[access]\nallow-guest-user = \"yes\"\n",
         "access.allow-guest-user: expected true or false"},
        {"[broker]\nquorum = 0\n", "broker.quorum: 0 is out of range [1-1073741824]"},
        {"[broker]\nshutdown-timeout = 3601\n",
         "broker.shutdown-timeout: 3601 is out of range [0-3600]"},
        {"[broker]\nshutdown-timeout = \"1m\"\n", "broker.shutdown-timeout: expected an integer"},
        {"[module]\npath = 3\n", "module.path: expected a string"},
    };
    int i = 0;
    for (const auto &tc : cases) {
        std::string path = d.write("e" + std::to_string(i++) + ".toml", tc.text);
        std::string err;
        auto cfg = config_load(path, &err);
        cr_expect(!cfg.has_value(), "should fail: %s", tc.text);
        expect_contains(err, tc.error);
        /* Every semantic error names the file and a line in it. */
        expect_contains(err, path + ":");
    }
}

Test(boot, load_nonexistent)
{
    TempDir d;
    const std::string paths[] = {
        d.path() + "/nonexistent.toml",
        d.path() + "/no/such/dir",
        "/nonexistent-fluxd-config-dir/system.toml",
    };
    for (const auto &p : paths) {
        std::string err;
        cr_expect(!config_load(p, &err).has_value(), "%s", p.c_str());
        expect_str(err, "config path " + p + ": No such file or directory");
    }
}

/* boot_from_config ----------------------------------------------------------*/

Test(boot, from_config_rank_by_hostname)
{
    TempDir d;
    Config cfg = must_load(d.write("system.toml", full_config));
    const struct {
        const char *hostname;
        uint32_t rank;
        const char *bind;
    } cases[] = {
        {"node0", 0, "tcp://eth0:9000"},     {"node1", 1, "tcp://eth0:9000"},
        {"node2", 2, "tcp://eth0:9000"},     {"node3", 3, "tcp://eth0:9000"},
        {"login", 4, "tcp://10.0.0.1:9000"},
    };
    const char *connect[] = {
        "tcp://node0.cluster:9000", "tcp://node1.cluster:9000", "tcp://node2.cluster:9000",
        "tcp://node3.cluster:9000", "tcp://login-ib:8999",
    };
    const char *names[] = {"node0", "node1", "node2", "node3", "login"};
    for (const auto &tc : cases) {
        std::string err;
        auto b = boot_from_config(cfg, tc.hostname, &err);
        cr_assert(b.has_value(), "%s: %s", tc.hostname, err.c_str());
        expect_str(b->method, "config");
        cr_expect_eq(b->rank, tc.rank, "%s", tc.hostname);
        cr_expect_eq(b->size, 5u);
        expect_str(b->bind_uri, tc.bind, "%s", tc.hostname);
        cr_assert_eq(b->connect_uri.size(), 5u);
        cr_assert_eq(b->hostnames.size(), 5u);
        for (size_t r = 0; r < 5; r++) {
            expect_str(b->connect_uri[r], connect[r], "connect_uri[%zu]", r);
            expect_str(b->hostnames[r], names[r], "hostnames[%zu]", r);
        }
    }
}

Test(boot, from_config_default_uris)
{
    TempDir d;
    Config cfg = must_load(d.write("c.toml", "[bootstrap]\nhosts = [ { host = \"h[0-2]\" } ]\n"));
    std::string err;
    auto b = boot_from_config(cfg, "h1", &err);
    cr_assert(b.has_value(), "%s", err.c_str());
    cr_expect_eq(b->rank, 1u);
    cr_expect_eq(b->size, 3u);
    expect_str(b->bind_uri, "tcp://*:8050");
    expect_str(b->connect_uri[0], "tcp://h0:8050");
    expect_str(b->connect_uri[2], "tcp://h2:8050");
}

Test(boot, from_config_unknown_host)
{
    TempDir d;
    Config cfg = must_load(d.write("system.toml", full_config));
    const char *bad[] = {"node4", "Node0", "node", "", "login.cluster"};
    for (const char *h : bad) {
        std::string err;
        cr_expect(!boot_from_config(cfg, h, &err).has_value(), "'%s'", h);
        expect_str(err, std::string("hostname '") + h + "' is not in bootstrap.hosts");
    }
}

Test(boot, from_config_no_hosts)
{
    Config cfg; /* as config_load returns for a config without [bootstrap] hosts */
    std::string err = "untouched";
    auto b = boot_from_config(cfg, "anyhost", &err);
    cr_assert(b.has_value(), "%s", err.c_str());
    expect_str(b->method, "config");
    cr_expect_eq(b->rank, 0u);
    cr_expect_eq(b->size, 1u);
    cr_assert_eq(b->hostnames.size(), 1u);
    expect_str(b->hostnames[0], "anyhost");
    cr_assert_eq(b->connect_uri.size(), 1u);
    expect_str(b->connect_uri[0], "");
    expect_str(b->bind_uri, "");
    expect_str(err, "untouched");
}

/* boot_for_test --------------------------------------------------------------*/

Test(boot, for_test)
{
    const struct {
        uint32_t rank, size;
        const char *dir;
    } cases[] = {
        {0, 1, "/tmp/flux-x"},
        {0, 4, "/tmp/flux-x"},
        {3, 4, "/tmp/flux-x"},
        {7, 16, "/run/user/1000/flux-abc"},
    };
    for (const auto &tc : cases) {
        auto b = boot_for_test(tc.rank, tc.size, tc.dir);
        expect_str(b.method, "test");
        cr_expect_eq(b.rank, tc.rank);
        cr_expect_eq(b.size, tc.size);
        cr_assert_eq(b.connect_uri.size(), (size_t)tc.size);
        for (uint32_t r = 0; r < tc.size; r++) {
            std::string want =
                std::string("ipc://") + tc.dir + "/rank-" + std::to_string(r) + "/tbon";
            expect_str(b.connect_uri[r], want.c_str(), "rank %u of %u", r, tc.size);
        }
        std::string want_bind =
            std::string("ipc://") + tc.dir + "/rank-" + std::to_string(tc.rank) + "/tbon";
        expect_str(b.bind_uri, want_bind.c_str());
        cr_expect(b.hostnames.empty());
    }
}

/* [job-manager.prolog|epilog|housekeeping] -> conf.job-manager.* (JSON) */
Test(boot, perilog_sections)
{
    TempDir d;
    const struct {
        const char *text;
        const char *attr;
        const char *json;
    } ok[] = {
        {"[job-manager.prolog]\ncommand = [\"/bin/check\", \"-v\"]\n", "conf.job-manager.prolog",
         "{\"command\":[\"/bin/check\",\"-v\"],\"per-rank\":false,\"timeout\":1800.0}"},
        {"[job-manager.epilog]\ncommand = [\"e\"]\nper-rank = true\ntimeout = \"1.5m\"\n",
         "conf.job-manager.epilog", "{\"command\":[\"e\"],\"per-rank\":true,\"timeout\":90.0}"},
        {"[job-manager.housekeeping]\ndirectory = \"/tmp\"\ntimeout = 30\n",
         "conf.job-manager.housekeeping",
         "{\"directory\":\"/tmp\",\"per-rank\":false,\"timeout\":30.0}"},
        {"[job-manager.prolog]\ncommand = [\"p\"]\ntimeout = \"0\"\n", "conf.job-manager.prolog",
         "{\"command\":[\"p\"],\"per-rank\":false,\"timeout\":0.0}"},
    };
    for (const auto &c : ok) {
        Config cfg = must_load(d.write("ok.toml", c.text));
        cr_assert(cfg.attrs.count(c.attr), "%s: no attribute %s", c.text, c.attr);
        expect_str(cfg.attrs[c.attr], c.json, "%s", c.text);
    }
    const struct {
        const char *text;
        const char *error;
    } bad[] = {
        {"[job-manager]\nprolog = 1\n", "job-manager.prolog: expected a table"},
        {"[job-manager.prolog]\n", "job-manager.prolog: expected either command or directory"},
        {"[job-manager.prolog]\ncommand = [\"a\"]\ndirectory = \"/tmp\"\n",
         "job-manager.prolog: expected either command or directory"},
        {"[job-manager.prolog]\ncomand = [\"a\"]\n", "job-manager.prolog: unknown key 'comand'"},
        {"[job-manager.epilog]\ncommand = \"a\"\n",
         "job-manager.epilog.command: expected a non-empty array of strings"},
        {"[job-manager.epilog]\ncommand = [\"a\", 3]\n",
         "job-manager.epilog.command[1]: expected a non-empty string"},
        {"[job-manager.epilog]\ncommand = [\"a\"]\nper-rank = \"yes\"\n",
         "job-manager.epilog.per-rank: expected true or false"},
        {"[job-manager.prolog]\ncommand = [\"a\"]\ntimeout = \"soon\"\n",
         "job-manager.prolog.timeout: "},
        {"[job-manager.prolog]\ncommand = [\"a\"]\ntimeout = -1\n",
         "job-manager.prolog.timeout: "},
        {"[job-manager.prolog]\ncommand = [\"a\"]\ntimeout = true\n",
         "job-manager.prolog.timeout: expected a duration"},
        {"[job-manager.housekeeping]\ncommand = [\"a\"]\nper-rank = true\n",
         "unknown key 'per-rank' (housekeeping runs on every rank)"},
        {"[job-manager.housekeeping]\ndirectory = \"/nonexistent\"\n",
         "job-manager.housekeeping.directory: '/nonexistent' is not a directory"},
    };
    for (const auto &c : bad) {
        std::string err;
        auto cfg = config_load(d.write("bad.toml", c.text), &err);
        cr_expect(!cfg.has_value(), "accepted: %s", c.text);
        expect_contains(err, c.error);
    }
}
