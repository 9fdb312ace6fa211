/* r_fast.h - a scheduler's R, read without building it twice.
 *
 * An allocation's R with a JGF "scheduling" key (sched-graph's) is a
 * kilobyte or more of small objects per job.  The job manager keeps R's
 * text (for the KVS, job-exec and sched.free) and only the "execution"
 * part decoded; building a jansson tree of the whole text to throw most
 * of it away was the largest cost of its loop with sched-graph loaded.
 *
 * decode_R_fast() validates the whole text with simdjson (syntax and
 * UTF-8, about a tenth of jansson's time on a JGF), then has jansson and
 * Rv1 decode just version and execution, with Rv1's own checks.
 */
#ifndef FLUXD_JOB_MANAGER_R_FAST_H
#define FLUXD_JOB_MANAGER_R_FAST_H

#include <string_view>

#include "result/result.h"
#include "rv1/rv1.h"

namespace fluxd {

/* R's text (an RFC 20 object), every byte of it valid JSON, decoded without
 * its "scheduling" key (the text keeps it).  An R without "execution", or
 * one holding a \u0000 escape, goes through Rv1::decode() whole.  EINVAL
 * naming the problem otherwise, as Rv1::decode(). */
flux::Result<flux::Rv1> decode_R_fast(std::string_view text);

} // namespace fluxd

#endif
