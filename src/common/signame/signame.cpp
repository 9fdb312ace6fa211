/* signame.cpp - signal names (signame.h). */
#include "signame.h"

#include <cstring>

namespace flux {

int signal_parse(const std::string &s)
{
    if (s.empty())
        return -1;
    if (s.find_first_not_of("0123456789") == std::string::npos) {
        if (s.size() > 2)
            return -1;
        int v = std::stoi(s);
        return v >= 1 && v < 64 ? v : -1;
    }
    std::string name = s.rfind("SIG", 0) == 0 ? s.substr(3) : s;
    for (int k = 1; k < 64; k++) {
        const char *abbrev = sigabbrev_np(k);
        if (abbrev && name == abbrev)
            return k;
    }
    return -1;
}

} // namespace flux
