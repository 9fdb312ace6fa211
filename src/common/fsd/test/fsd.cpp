/* fsd/test/fsd.cpp - Criterion tests for Flux Standard Duration parsing and formatting. */
#include <criterion/criterion.h>
#include <string>

#include "fsd/fsd.h"

Test(fsd, parse_valid)
{
    const struct {
        const char *in;
        char unit;
        double seconds;
    } cases[] = {
        {"0", 's', 0},        {"30", 's', 30},      {"30", 'm', 1800},   {"30s", 'm', 30},
        {"1.5m", 's', 90},    {"2h", 's', 7200},    {"1d", 's', 86400},  {"500ms", 's', 0.5},
        {"inf", 's', 0},      {"infinity", 'm', 0}, {".5s", 's', 0.5},   {"0.25h", 's', 900},
    };
    for (const auto &tc : cases) {
        auto r = flux::fsd_parse(tc.in, tc.unit);
        cr_assert(r.has_value(), "fsd_parse(%s) failed", tc.in);
        cr_expect_float_eq(*r, tc.seconds, 1e-9, "fsd_parse(%s)", tc.in);
    }
}

Test(fsd, parse_invalid)
{
    const struct {
        const char *in;
        const char *error;
    } cases[] = {
        {"", "invalid duration ''"},
        {"-1", "invalid duration '-1'"},
        {"abc", "invalid duration 'abc'"},
        {"5x", "invalid duration '5x' (units: ms, s, m, h, d)"},
        {"5 s", "invalid duration '5 s' (units: ms, s, m, h, d)"},
        {"1e999", "invalid duration '1e999'"},
        {"nan", "invalid duration 'nan'"},
    };
    for (const auto &tc : cases) {
        auto r = flux::fsd_parse(tc.in, 's');
        cr_assert(!r.has_value(), "fsd_parse(%s) should fail", tc.in);
        std::string text = r.error().text;
        cr_expect_str_eq(text.c_str(), tc.error, "fsd_parse(%s)", tc.in);
        cr_expect_eq(r.error().errnum, EINVAL);
    }
}

Test(fsd, format)
{
    const struct {
        double t;
        const char *out;
    } cases[] = {
        {0, "0.000s"}, {0.0042, "0.004s"}, {9.5, "9.500s"}, {30, "30.0s"},
        {90, "1.5m"},  {7200, "2h"},       {86400, "1d"},   {129600, "1.5d"},
    };
    for (const auto &tc : cases) {
        std::string s = flux::fsd_format(tc.t);
        cr_expect_str_eq(s.c_str(), tc.out, "fsd_format(%g)", tc.t);
    }
}
