/* pmi_boot.h - boot a broker as a task of a job (or of another launcher)
 * over PMI-1 (the simple wire protocol on PMI_FD, Flux RFC 13).
 *
 * Rank and size come from PMI_RANK/PMI_SIZE; each broker that may have
 * children listens on a TCP port chosen by the kernel, puts its URI under
 * "flux.tbon.RANK", and after one barrier reads its parent's.  Decision
 * note: doc/design/pmi-boot.md.
 */
#pragma once

#include <string>

#include "broker.h"
#include "result/result.h"

namespace fluxd {

/* True if the environment asks for a PMI boot (PMI_FD is set). */
bool pmi_boot_wanted();

/* Boot over PMI.  FANOUT is the tree's (tbon.fanout); HINT the address or
 * interface to listen on ("" -> 127.0.0.1); TIMEOUT the seconds any one
 * PMI answer may take.  On success the listening socket (if any) is in
 * BootInfo::listen_fd.  Errors name the variable or step that failed. */
flux::Result<BootInfo> boot_from_pmi(uint32_t fanout, const std::string &hint, double timeout);

/* The enclosing job's R (fetched from the parent instance at PARENT_URI,
 * job JOBID), renumbered onto ranks 0..SIZE-1 in rank order, as JSON text.
 * Errors name the job and the problem. */
flux::Result<std::string> parent_job_R(const std::string &parent_uri, const std::string &jobid,
                                       uint32_t size);

/* Rank 0 of a nested instance, once up: record URI (its local://) under
 * the enclosing job's KVS directory in the parent (key guest.uri), where
 * flux uri/proxy JOBID and flux alloc --bg find it. */
flux::Result<void> parent_post_uri(const std::string &parent_uri, const std::string &jobid,
                                   const std::string &uri);

} // namespace fluxd
