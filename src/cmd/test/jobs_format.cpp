/* cmd/test/jobs_format.cpp - Criterion tests for flux jobs --format: Flux's
 * spec grammar, conversions, named formats, "?:" columns and the errors. */
#include <criterion/criterion.h>
#include <string>

#include "jobs_format.h"

using fluxcmd::JobsFormat;

namespace {

/* An inactive job that ran on node7 for 2.5 s, exit 3; a held pending one. */
const char *ended = R"({"id":1234,"userid":0,"state":"INACTIVE","name":"abcdefgh","ntasks":2,
    "nnodes":1,"urgency":16,"priority":16,"t_submit":100.0,"t_run":101.0,"t_cleanup":103.5,
    "t_inactive":104.0,"success":false,"waitstatus":768,"ranks":"0","ncores":2,
    "nodelist":"node7"})";
const char *held = R"({"id":99,"userid":0,"state":"SCHED","name":"h","ntasks":1,"nnodes":0,
    "urgency":0,"priority":0,"t_submit":100.0,"t_run":0.0,"t_cleanup":0.0,"t_inactive":0.0,
    "success":false,"waitstatus":-1,"duration":60.0})";
/* A running instance job, with what flux jobs adds: its URI and summary. */
const char *inst = R"({"id":7,"userid":0,"state":"RUN","name":"flux","ntasks":1,"nnodes":1,
    "urgency":16,"priority":16,"t_submit":100.0,"t_run":101.0,"t_cleanup":0.0,
    "t_inactive":0.0,"success":false,"waitstatus":-1,"cwd":"/home/u","project":"phys",
    "bank":"b1","uri":"local:///tmp/x/local",
    "instance":{"stats":{"pending":1,"running":2,"successful":3,"failed":2,"total":8},
                "resources":{"all":{"ncores":8,"ngpus":0},"up":{"ncores":6,"ngpus":0},
                             "down":{"ncores":2,"ngpus":0},"allocated":{"ncores":2,"ngpus":0},
                             "free":{"ncores":4,"ngpus":0}}}})";

std::string render(const char *fmt, const char *job)
{
    auto f = JobsFormat::parse(fmt);
    cr_assert(f, "parse %s", fmt);
    json_error_t err;
    json_t *o = json_loads(job, 0, &err);
    cr_assert_not_null(o);
    std::string out = f->render(o, 200.0);
    json_decref(o);
    return out;
}

} // namespace

Test(jobs_format, fields_and_specs)
{
    const struct {
        const char *fmt;
        const char *job;
        const char *out;
    } cases[] = {
        {"{nodelist}", ended, "node7"},
        {"{contextual_info}", ended, "node7"},
        {"{contextual_info}", held, "held"},
        {"{contextual_time}", held, "1m"},
        {"{contextual_time!H}", ended, "0:00:03"}, /* rounded */
        {"{runtime!F}", ended, "2.500s"},
        {"{returncode} {success} {exception.occurred}", ended, "3 False False"},
        {"{inactive_reason}", ended, "Exit 3"},
        {"{name:<5.5+}|", ended, "abcd+|"},
        {"{name:<10.10+}|", ended, "abcdefgh  |"},
        {"{ranks:h}", held, "-"},
        {"{nnodes:>3h}", held, "  -"},
        {"{t_remaining:h}", ended, "-"},
        {"{{{ncores}}}", ended, "{2}"},
        {"{cwd}|{project}|{bank}|{uri}", inst, "/home/u|phys|b1|local:///tmp/x/local"},
        {"{cwd}|{project}|{bank}|{uri}", ended, "|||"},
        {"{instance.stats}", inst, "PD:1 R:2 CD:3 F:2"},
        {"{instance.stats.total} {instance.progress} {instance.progress!P}", inst,
         "8 0.625 62%"},
        {"{instance.utilization!P} {instance.utilization}", inst, "25% 0.25"},
        {"{instance.gpu_utilization:h}", inst, "-"}, /* no GPUs */
        {"{instance.resources.up.ncores} {instance.resources.down.ncores} "
         "{instance.resources.allocated.ncores} {instance.resources.free.ncores}",
         inst, "6 2 2 4"},
        {"{instance.stats:h} {instance.utilization!P:h}", ended, "- -"},
    };
    for (const auto &c : cases)
        cr_expect_eq(render(c.fmt, c.job), c.out, "%s: got '%s', want '%s'", c.fmt,
                     render(c.fmt, c.job).c_str(), c.out);
}

Test(jobs_format, named_formats_and_header)
{
    auto def = JobsFormat::parse("default");
    cr_assert(def);
    cr_expect_eq(def->header(), "       JOBID USER     NAME       ST NTASKS NNODES     TIME INFO");
    for (const char *name : {"long", "deps", "endreason"})
        cr_expect(JobsFormat::parse(name), "%s", name);
}

Test(jobs_format, optional_columns)
{
    auto f = JobsFormat::parse("{id.dec} ?:{dependencies:<8} {name}");
    cr_assert(f);
    json_error_t err;
    json_t *jobs = json_loads((std::string("[") + ended + "]").c_str(), 0, &err);
    auto lines = f->render_table(jobs, 200.0, true);
    json_decref(jobs);
    cr_assert_eq(lines.size(), 2u);
    cr_expect_eq(lines[0], "JOBID NAME");
    cr_expect_eq(lines[1], "1234 abcdefgh");
}

Test(jobs_format, errors)
{
    const struct {
        const char *fmt;
        const char *error;
    } cases[] = {
        {"{bogus}", "format: unknown field 'bogus'"},
        {"{name!Z}", "format: unknown conversion '!Z' for field 'name' (D, d, F, H, P)"},
        {"{name", "format: unmatched '{' in '{name'"},
        {"{name:<5x}", "format: invalid spec '<5x' for field 'name'"},
    };
    for (const auto &c : cases) {
        auto f = JobsFormat::parse(c.fmt);
        cr_assert(!f, "%s", c.fmt);
        cr_expect_eq(f.error().text, c.error, "%s: got '%s'", c.fmt, f.error().text.c_str());
    }
}
