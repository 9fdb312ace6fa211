/* signame/test/signame.cpp - Criterion tests for signal names. */
#include <criterion/criterion.h>
#include <csignal>

#include "signame/signame.h"

Test(signame, names_and_numbers)
{
    const struct {
        const char *in;
        int sig;
    } cases[] = {
        {"USR1", SIGUSR1}, {"SIGUSR1", SIGUSR1}, {"10", 10},         {"usr1", -1},
        {"TERM", SIGTERM}, {"SIGKILL", SIGKILL}, {"1", 1},           {"63", 63},
        {"0", -1},         {"64", -1},           {"", -1},           {"SIG", -1},
        {"BOGUS", -1},     {"-9", -1},           {"9x", -1},         {"0010", -1},
    };
    for (const auto &tc : cases)
        cr_assert_eq(flux::signal_parse(tc.in), tc.sig, "signal_parse(\"%s\") = %d, want %d",
                     tc.in, flux::signal_parse(tc.in), tc.sig);
}
