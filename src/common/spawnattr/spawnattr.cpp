/* spawnattr.cpp - the signal state a child of the broker starts with. */
#include "spawnattr.h"

#include <initializer_list>

namespace flux {

void child_default_signals(sigset_t *set)
{
    sigemptyset(set);
    for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD})
        sigaddset(set, s);
}

void child_spawnattr_init(posix_spawnattr_t *attr, bool new_pgroup)
{
    posix_spawnattr_init(attr);
    sigset_t none, dfl;
    sigemptyset(&none);
    child_default_signals(&dfl);
    posix_spawnattr_setsigmask(attr, &none);
    posix_spawnattr_setsigdefault(attr, &dfl);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (new_pgroup) {
        posix_spawnattr_setpgroup(attr, 0);
        flags |= POSIX_SPAWN_SETPGROUP;
    }
    posix_spawnattr_setflags(attr, flags);
}

void child_reset_signals()
{
    sigset_t dfl;
    child_default_signals(&dfl);
    for (int sig = 1; sig < NSIG; sig++) {
        if (sigismember(&dfl, sig) == 1)
            signal(sig, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
}

} // namespace flux
