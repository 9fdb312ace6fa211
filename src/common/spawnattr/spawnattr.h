/* spawnattr.h - the signal state a child of the broker starts with.
 *
 * The broker ignores SIGPIPE and handles SIGINT, SIGTERM, SIGHUP and
 * SIGCHLD; a child it starts (a job shell, a prolog, an ingest worker,
 * the shell launcher) gets those back at their defaults and an empty
 * signal mask, whether it is posix_spawn'd or forked:
 *
 *   posix_spawnattr_t attr;
 *   flux::child_spawnattr_init(&attr, true);   // + its own process group
 *   posix_spawn(&pid, path, &fa, &attr, argv, envp);
 *   posix_spawnattr_destroy(&attr);
 *
 *   if (fork() == 0) { setpgid(0, 0); flux::child_reset_signals(); ... }
 */
#pragma once

#include <csignal>
#include <spawn.h>

namespace flux {

/* SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD. */
void child_default_signals(sigset_t *set);

/* Attributes: empty mask, child_default_signals() at SIG_DFL, and with
 * NEW_PGROUP a process group of its own. */
void child_spawnattr_init(posix_spawnattr_t *attr, bool new_pgroup);

/* In a forked child: what those attributes do to signals. */
void child_reset_signals();

} // namespace flux
