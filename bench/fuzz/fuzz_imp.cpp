/* fuzz_imp.cpp - libFuzzer target for flux-imp's parsers: the signed
 * jobspec J (src/imp/signed_j.cpp) and the TOML configuration
 * (src/imp/imp_config.cpp), the input a caller or an administrator hands
 * the setuid IMP.  The first byte picks the parser.  Build and run:
 * `make fuzz-imp && bench/fuzz/fuzz-imp.sh` (bench/README.md).
 */
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "imp_config.h"
#include "signed_j.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    std::string_view in((const char *)data + 1, size - 1);
    std::string err;
    if (data[0] & 1) {
        imp::SignedJ j;
        if (imp::signed_j_parse(in, j, err)) {
            /* What a successful parse promises. */
            if (j.mechanism != "none" && j.mechanism != "munge")
                abort();
            if (j.signed_part.size() >= in.size() || in.substr(0, j.signed_part.size()) != j.signed_part)
                abort();
            if (j.mechanism == "none" && j.sig != "none")
                abort();
        }
        else if (err.empty())
            abort();
    }
    else {
        imp::ImpConfig cfg;
        if (!imp::imp_config_parse(in, "fuzz.toml", cfg, err)) {
            if (err.empty())
                abort();
        }
        else {
            for (const std::string &s : cfg.allowed_shells) {
                if (s.empty() || s[0] != '/')
                    abort();
            }
        }
    }
    return 0;
}
