/* jobspec-check.cpp - test helper: validate jobspec files as job-ingest
 * does (RFC 14 structure, then RFC 25 version 1), without an instance.
 *
 *   jobspec-check FILE...
 *
 * Prints "FILE: ok" or "FILE: ERROR" for each; exits 1 if any is refused.
 * The error texts are the ones a submission gets ("invalid jobspec: ...",
 * "unsupported jobspec: ..."), or "jobspec ..." for text that is not a
 * document at all. */
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "jobspec/jobspec.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "Usage: jobspec-check FILE...\n");
        return 2;
    }
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        std::ifstream in(argv[i], std::ios::binary);
        if (!in) {
            fprintf(stderr, "%s: cannot open\n", argv[i]);
            rc = 1;
            continue;
        }
        std::stringstream ss;
        ss << in.rdbuf();
        std::string text = ss.str();
        auto js = flux::jobspec_parse(text);
        std::string why;
        if (!js)
            why = js.error().text.starts_with("jobspec ") ? js.error().text
                                                          : "invalid jobspec: " + js.error().text;
        else if (!js->v1)
            why = "unsupported jobspec: " + js->v1_error;
        if (why.empty())
            printf("%s: ok\n", argv[i]);
        else {
            printf("%s: %s\n", argv[i], why.c_str());
            rc = 1;
        }
    }
    return rc;
}
