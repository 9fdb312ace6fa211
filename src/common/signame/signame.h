/* signame.h - signal names as users write them: "USR1", "SIGUSR1", "10". */
#pragma once

#include <string>

namespace flux {

/* The signal number 1-63 of a number or a name with or without "SIG"
 * (glibc's abbreviations: HUP, INT, USR1, ...); -1 if none. */
int signal_parse(const std::string &s);

} // namespace flux
