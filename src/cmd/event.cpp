/* event.cpp - flux event pub|sub. */
#include <cerrno>
#include <cstring>
#include <getopt.h>

#include <string>

#include "cmd.h"

namespace fluxcmd {

namespace {

const char *usage_text = "Usage: flux event pub [-p|--private] TOPIC [PAYLOAD]\n"
                         "       flux event sub [-c N|--count=N] TOPIC...";

int event_pub(int argc, char **argv)
{
    static const struct option opts[] = {
        {"private", no_argument, nullptr, 'p'},
        {nullptr, 0, nullptr, 0},
    };
    int flags = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+p", opts, nullptr)) != -1) {
        if (c == 'p')
            flags |= FLUX_MSGFLAG_PRIVATE;
        else
            return 1;
    }
    if (argc - optind < 1 || argc - optind > 2)
        die(1, "%s", usage_text);
    const char *topic = argv[optind];
    const char *payload = argc - optind == 2 ? argv[optind + 1] : nullptr;
    flux_t *h = open_or_die("flux-event");
    flux_future_t *f = flux_event_publish(h, topic, flags, payload);
    if (!f || flux_event_publish_get_seq(f, nullptr) < 0)
        die(1, "flux-event: pub %s: %s", topic, f ? flux_future_error_string(f) : strerror(errno));
    flux_future_destroy(f);
    flux_close(h);
    return 0;
}

int event_sub(int argc, char **argv)
{
    static const struct option opts[] = {
        {"count", required_argument, nullptr, 'c'},
        {nullptr, 0, nullptr, 0},
    };
    uint32_t count = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+c:", opts, nullptr)) != -1) {
        if (c == 'c')
            count = parse_u32_or_die("flux-event", "count", optarg);
        else
            return 1;
    }
    if (optind >= argc)
        die(1, "%s", usage_text);
    flux_t *h = open_or_die("flux-event");
    for (int i = optind; i < argc; i++) {
        if (flux_event_subscribe(h, argv[i]) < 0)
            die(1, "flux-event: subscribe %s: %s", argv[i], strerror(errno));
    }
    /* Tell a waiting caller we are ready (stderr keeps stdout clean). */
    fprintf(stderr, "flux-event: subscribed\n");
    for (uint32_t n = 0; count == 0 || n < count; n++) {
        flux_msg_t *msg = flux_recv(h, FLUX_MATCH_EVENT, 0);
        if (!msg)
            die(1, "flux-event: %s", strerror(errno));
        const char *topic, *s = nullptr;
        uint32_t seq = 0;
        flux_event_decode(msg, &topic, &s);
        flux_msg_get_seq(msg, &seq);
        printf("%s seq=%u%s%s\n", topic, seq, s ? " " : "", s ? s : "");
        fflush(stdout);
        flux_msg_decref(msg);
    }
    flux_close(h);
    return 0;
}

} // namespace

int cmd_event(int argc, char **argv)
{
    if (argc < 2)
        die(1, "%s", usage_text);
    std::string sub = argv[1];
    if (sub == "pub")
        return event_pub(argc - 1, argv + 1);
    if (sub == "sub")
        return event_sub(argc - 1, argv + 1);
    if (sub == "-h" || sub == "--help") {
        printf("%s\n", usage_text);
        return 0;
    }
    die(1, "flux-event: unknown subcommand '%s'\n%s", sub.c_str(), usage_text);
}

} // namespace fluxcmd
