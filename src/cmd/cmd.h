/* cmd.h - shared helpers of the flux command's built-in subcommands. */
#pragma once

#include <string>
#include <vector>

#include "flux/core.h"

namespace fluxcmd {

/* Print "flux-NAME: message" to stderr and exit(code). */
[[noreturn]] void die(int code, const char *fmt, ...) FLUX_PRINTF(2, 3);
/* Connect to $FLUX_URI or die with a message naming the problem. */
flux_t *open_or_die(const char *prog);
/* Parse a rank/count; die with a clear message if invalid. */
uint32_t parse_u32_or_die(const char *prog, const char *what, const char *s);
double parse_double_or_die(const char *prog, const char *what, const char *s);
/* Parse a job id in any form (flux_job_id_parse); die "PROG: invalid job id
 * 'S'" if it is none. */
uint64_t parse_jobid_or_die(const char *prog, const char *s);

int cmd_start(int argc, char **argv);
int cmd_ping(int argc, char **argv);
int cmd_getattr(int argc, char **argv);
int cmd_setattr(int argc, char **argv);
int cmd_lsattr(int argc, char **argv);
int cmd_uri(int argc, char **argv);
int cmd_dmesg(int argc, char **argv);
int cmd_logger(int argc, char **argv);
int cmd_module(int argc, char **argv);
int cmd_overlay(int argc, char **argv);
int cmd_shutdown(int argc, char **argv);
int cmd_relay(int argc, char **argv);
int cmd_event(int argc, char **argv);
int cmd_hwloc(int argc, char **argv);
int cmd_kvs(int argc, char **argv);
int cmd_resource(int argc, char **argv);
int cmd_submit(int argc, char **argv);
int cmd_bulksubmit(int argc, char **argv);
int cmd_job(int argc, char **argv);
int cmd_jobs(int argc, char **argv);
int cmd_cancel(int argc, char **argv);
/* flux job status|last|timeleft (job_status.cpp); argv[0] is the
 * subcommand. */
int cmd_job_status(int argc, char **argv);
int cmd_job_last(int argc, char **argv);
int cmd_job_timeleft(int argc, char **argv);
int cmd_queue(int argc, char **argv);
int cmd_housekeeping(int argc, char **argv);
int cmd_update(int argc, char **argv);
int cmd_jobtap(int argc, char **argv);
/* Follow a job's output and events until it is inactive; its exit code.
 * With STDIN_RANKS ("all" or an idset), this process's stdin is forwarded
 * to those tasks (flux_job_input_create()) while the job runs, when
 * stdin_forwardable(). */
int job_attach(flux_t *h, uint64_t id, bool quiet, bool label = false,
               const char *stdin_ranks = nullptr);
/* fd 0 is open for reading and is not /dev/null: worth forwarding. */
bool stdin_forwardable();
int cmd_run(int argc, char **argv);
int cmd_sched_query(int argc, char **argv);
int cmd_broker(int argc, char **argv);
int cmd_alloc(int argc, char **argv);
int cmd_batch(int argc, char **argv);
int cmd_proxy(int argc, char **argv);
int cmd_config(int argc, char **argv);
/* The fluxd this flux runs ($FLUX_BROKER_PATH, beside it, or installed). */
std::string broker_path();
/* The URI job ID's instance recorded once up, or "" with *why set. */
std::string job_instance_uri(flux_t *h, uint64_t id, std::string *why);

} // namespace fluxcmd
