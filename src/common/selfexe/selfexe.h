/* selfexe.h - where the running program's executable is. */
#pragma once

#include <string>

namespace flux {

/* The absolute path of the running executable (/proc/self/exe), or "" if
 * it cannot be read. */
std::string self_exe();

/* Its directory, or "." if unknown. */
std::string self_dir();

} // namespace flux
