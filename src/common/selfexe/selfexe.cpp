/* selfexe.cpp - where the running program's executable is. */
#include <climits>
#include <unistd.h>

#include "selfexe.h"

namespace flux {

std::string self_exe()
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
    if (n <= 0)
        return "";
    return std::string(buf, (size_t)n);
}

std::string self_dir()
{
    std::string s = self_exe();
    size_t slash = s.rfind('/');
    return slash == std::string::npos ? "." : s.substr(0, slash);
}

} // namespace flux
