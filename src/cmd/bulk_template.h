/* bulk_template.h - the replacement fields of flux bulksubmit: "{}", "{0}",
 * "{seq}", "{.%}", ... in a command or an option value, filled from one
 * combination of inputs (see flux-bulksubmit(1)). */
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "result/result.h"

namespace fluxcmd {

/* What one job's fields are filled from. */
struct BulkFields {
    std::vector<std::string> inputs; /* one per input list, in list order */
    uint64_t seq = 0;                /* the combination's number, from 0 */
    std::string cc;                  /* the --cc/--bcc id; empty without */
};

/* TEMPLATE with every replacement field filled from FIELDS.  A field is
 * {[NAME][.ATTR][:SPEC]}: NAME is empty ({} is the inputs joined by a
 * space), an input index (0, 1, ...), seq, seq1 or cc; ATTR is % (drop the
 * extension), / (basename), // (dirname) or /% (basename without the
 * extension), on inputs only; SPEC is [[FILL]ALIGN][0][WIDTH][s|d] with
 * ALIGN one of < > ^.  "{{" and "}}" are literal braces.  Fails, naming the
 * field and the template, on an unknown name or attribute, an index past the
 * last input list, or an unmatched brace. */
flux::Result<std::string> bulk_template_expand(const std::string &tmpl, const BulkFields &fields);

/* True if TEMPLATE holds a brace, so that expanding it may change it. */
bool bulk_template_has_fields(const std::string &tmpl);

} // namespace fluxcmd
