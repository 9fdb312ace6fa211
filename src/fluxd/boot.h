/* boot.h - how a broker learns its rank, size and peers.
 *
 *   test:   flux start --test-size=N runs N brokers on this host; each gets
 *           --test-rank/--test-size/--test-dir and uses ipc:// endpoints
 *           under DIR/rank-R/.
 *   config: a TOML file (--config-path) lists the instance's hosts in
 *           [bootstrap]; a broker's rank is its hostname's index.
 * A config without [bootstrap] hosts boots a single broker.
 */
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "broker.h"
#include "result/result.h"

namespace fluxd {

struct Config {
    /* Flattened settings other parts consume, keyed "table.key" (tbon.fanout,
     * access.allow-guest-user, ...), as attribute defaults. */
    std::map<std::string, std::string> attrs;
    struct Host {
        std::string host;
        std::string bind;
        std::string connect;
    };
    std::vector<Host> hosts; /* expanded, one per rank */
    std::string default_bind = "tcp://*:%p";
    std::string default_connect = "tcp://%h:%p";
    long default_port = 8050;
    /* The merged files as compact JSON text (config.get). */
    std::string json = "{}";
};

/* Load PATH (a .toml file, or a directory whose *.toml files are read in
 * name order).  The error text names file, line and problem. */
flux::Result<Config> config_load(const std::string &path);

/* Boot information for a config-booted broker on host HOSTNAME. */
flux::Result<BootInfo> boot_from_config(const Config &cfg, const std::string &hostname);

/* Boot information for rank R of a test instance of SIZE under DIR. */
BootInfo boot_for_test(uint32_t rank, uint32_t size, const std::string &dir);

/* Replace %h (host) and %p (port) in a URI template. */
std::string uri_expand(const std::string &tmpl, const std::string &host, long port);

} // namespace fluxd
