/* update.cpp - flux update JOBID KEY=VALUE...: change a job's attributes
 * (the time limit, absolute or +/- the current one, of a pending or
 * running job) through flux_job_update(). */
#include <cerrno>
#include <cmath>
#include <cstring>

#include <string>

#include "cmd.h"
#include "flux/job.h"
#include "fsd/fsd.h"
#include "libflux/ptr.h"

namespace fluxcmd {

int cmd_update(int argc, char **argv)
{
    const char *usage =
        "Usage: flux update JOBID duration=[+|-]FSD|user.KEY=VALUE|attributes.KEY=VALUE...";
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        printf("%s\n", usage);
        return 0;
    }
    if (argc < 3)
        die(1, "%s", usage);
    uint64_t id = parse_jobid_or_die("flux-update", argv[1]);
    flux::JsonPtr updates(json_object());
    for (int i = 2; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        if (!eq)
            die(1, "flux-update: expected KEY=VALUE, got '%s'", argv[i]);
        std::string key(argv[i], eq - argv[i]);
        if (key == "duration" || key == "attributes.system.duration") {
            /* +FSD / -FSD: relative to the job's current limit. */
            char sign = eq[1] == '+' || eq[1] == '-' ? eq[1] : 0;
            auto d = flux::fsd_parse(eq + 1 + (sign ? 1 : 0), 's');
            if (!d)
                die(1, "flux-update: %s", d.error().text.c_str());
            if (sign) {
                /* The job manager adds it to the current limit (atomically,
                 * and a guest cannot read the stored jobspec). */
                if (std::isinf(*d))
                    die(1, "flux-update: duration=%s: expected a finite change", eq + 1);
                char buf[64];
                snprintf(buf, sizeof(buf), "%c%.17g", sign, *d);
                json_object_set_new(updates.get(), "attributes.system.duration",
                                    json_string(buf));
                continue;
            }
            double value = *d;
            json_object_set_new(updates.get(), "attributes.system.duration", json_real(value));
        }
        else if (key.rfind("attributes.", 0) == 0 || key.rfind("user.", 0) == 0) {
            /* Other keys go to the job manager, which asks its jobtap
             * plugins (job.update.KEY); VALUE as JSON if it parses. */
            if (key.rfind("user.", 0) == 0)
                key = "attributes." + key;
            json_error_t jerr;
            json_t *v = json_loads(eq + 1, JSON_DECODE_ANY, &jerr);
            json_object_set_new(updates.get(), key.c_str(), v ? v : json_string(eq + 1));
        }
        else
            die(1, "flux-update: updating '%s' is not supported (duration, user.KEY, attributes.KEY)", key.c_str());
    }
    char *text = json_dumps(updates.get(), JSON_COMPACT);
    flux_t *h = open_or_die("flux-update");
    flux::FuturePtr f(flux_job_update(h, id, text));
    free(text);
    if (!f || flux_rpc_get(f.get(), nullptr) < 0)
        die(1, "flux-update: %s", f ? flux_future_error_string(f.get()) : strerror(errno));
    flux_close(h);
    return 0;
}

} // namespace fluxcmd
