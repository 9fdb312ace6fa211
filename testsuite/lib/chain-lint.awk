# chain-lint.awk - refuse a test body whose commands are not chained.
#
#   printf '%s\n' "$body" | awk -f chain-lint.awk
#
# A test body passes only if a failing command fails it.  That holds when
# every command is joined to the next by && (or ||, |, a pipe into a loop),
# so this reads the body line by line and reports each line that ends a
# command without joining it to the line after.  A line may end a command
# when the next line closes the enclosing construct ( ) } done fi esac else
# elif ;; ), when the command is exit/return (a deliberate end), or when it
# is the body's last line.  "cmd &" at the end of a line would put the whole
# && list before it in the background: start a background job inside braces
# instead, "{ cmd & pid=$!; } &&".  Within a line, a ";" that drops a
# status ("cmd; test $? -eq 3", "do a; b; done") is refused the same way.  Inside a
# loop the last command must end the test on failure itself
# ("|| return 1" or "|| exit 1"), since the loop goes on to its next
# iteration otherwise; arithmetic counters, echo, printf, sleep, break
# and continue are exempt.  Quoted text, comments, here-documents and backslash-newlines are
# understood; what is inside quotes (a "bash -c" script, an awk program) is
# not linted.
#
# Prints "line N: TEXT" for each offence and exits 1; exits 0 when clean.
# This is git's chain lint idea (t/chainlint) done small, on our own rules.

function trim(s) {
    sub(/^[ \t]+/, "", s)
    sub(/[ \t]+$/, "", s)
    return s
}

# Scan one physical line with the quote state carried in `inq`; append the
# line with quoted text emptied and comments dropped to `code`; note a
# here-document's delimiter in `pending_hd`.
function scan(line,    i, n, c, nx, rest, d) {
    n = length(line)
    for (i = 1; i <= n; i++) {
        c = substr(line, i, 1)
        if (inq == "'") {
            if (c == "'") { inq = ""; code = code c }
            continue
        }
        if (inq == "\"") {
            if (c == "\\") { i++; continue }
            if (c == "\"") { inq = ""; code = code c }
            continue
        }
        if (c == "\\") {
            if (i == n) { cont_bs = 1; return }
            code = code c substr(line, i + 1, 1)
            i++
            continue
        }
        if (c == "'" || c == "\"") { inq = c; code = code c; continue }
        if (c == "#" && (i == 1 || substr(line, i - 1, 1) ~ /[ \t;&|(]/))
            return
        if (c == "<" && substr(line, i, 2) == "<<" && substr(line, i, 3) != "<<<") {
            rest = substr(line, i + 2)
            hd_strip = (substr(rest, 1, 1) == "-")
            if (hd_strip) rest = substr(rest, 2)
            sub(/^[ \t]+/, "", rest)
            sub(/^\\/, "", rest)
            if (rest ~ /^['"]/) {
                d = substr(rest, 2)
                sub(/['"].*$/, "", d)
            } else {
                d = rest
                sub(/[^A-Za-z0-9_].*$/, "", d)
            }
            if (d != "") pending_hd = d
            code = code "<<"
            i++
            continue
        }
        code = code c
    }
}

function continues(t) {
    return t ~ /(&&|\|\||\||\(|\{|;;)$/ ||
        t ~ /(^|[ \t;])(then|do|else)$/ ||
        t ~ /^case[ \t].*[ \t]in$/
}

# The last command of T is exit or return (the test ends there on purpose).
function exits(t) {
    return t ~ /(^|[;&|{( \t])(exit|return)([ \t]+[^ \t;]+)?[ \t;]*[})]*[ \t;]*$/
}

function benign(t) {
    return t ~ /^[A-Za-z_][A-Za-z0-9_]*=\$\(\([^()]*\)\)$/ ||
        t ~ /^(sleep[ \t]+[0-9.]+|:|true|break|continue)$/ ||
        t ~ /^(echo|printf)([ \t]|$)/
}

function closes(t) {
    return t ~ /^[)}]/ || t ~ /^;;/ ||
        t ~ /^(done|fi|esac|else|elif|then|do)([ \t;&|<>)]|$)/
}

# A compound command's own end ("fi", "done >out", "} 2>err", a one-line
# loop): its inner lines were checked where they stand.
function ends_compound(t) {
    return t ~ /^(done|fi|esac|[)}])/ ||
        t ~ /(^|[ \t;])(done|fi|esac)([ \t][^;&|]*)?$/
}

# T (quotes emptied) has a ";" that ends a command whose status is then
# lost ("cmd; test $? -eq 3", "do a; b; done", "(cd x; make)").  A ";"
# may end a condition or a list (before then/do/done/fi/else/elif/esac/}
# or ")"), come before a deliberate end (false, true, :, exit, return) or keep
# the status on purpose ("{ cmd; rc=$?; }").
function bad_semicolon(t,    i, n, rest) {
    n = length(t)
    for (i = 1; i <= n; i++) {
        if (substr(t, i, 1) != ";") continue
        if (substr(t, i + 1, 1) == ";") { i++; continue }
        rest = substr(t, i + 1)
        sub(/^[ \t]+/, "", rest)
        if (rest == "" || rest ~ /^[})]/ ||
            rest ~ /^(then|do|done|fi|else|elif|esac|false|true|:|exit|return)([ \t;&|<>)]|$)/ ||
            rest ~ /^[A-Za-z_][A-Za-z0-9_]*=\$\?/)
            continue
        return 1
    }
    return 0
}

function offend(k) {
    printf "line %d: %s\n", lnum[k], raw[k]
    bad = 1
}

BEGIN { inq = ""; hd = ""; nl = 0; code = ""; first = 0; bad = 0 }

{
    if (hd != "") {
        t = $0
        if (hd_strip) sub(/^\t+/, "", t)
        if (t == hd) hd = ""
        next
    }
    if (code == "" && inq == "") { first = NR; firstraw = $0 }
    cont_bs = 0
    scan($0)
    if (inq != "" || cont_bs) { code = code " "; next }
    t = trim(code)
    code = ""
    if (t != "") {
        nl++
        text[nl] = t
        lnum[nl] = first
        raw[nl] = trim(firstraw)
    }
    if (pending_hd != "") { hd = pending_hd; pending_hd = "" }
}

END {
    if (inq != "") { print "unterminated quote"; exit 1 }
    in_case = 0
    for (k = 1; k <= nl; k++) {
        t = text[k]
        n = (k < nl) ? text[k + 1] : ""
        if (t ~ /^case[ \t].*[ \t]in$/) in_case++
        if (t ~ /^esac/ && in_case > 0) in_case--
        # One-line loop: "for x in ...; do CMD || return 1; done".
        if (match(t, /(^|[ \t;])do[ \t]+/)) {
            body = substr(t, RSTART + RLENGTH)
            if (match(body, /;[ \t]*done([ \t;&|<>)]|$)/)) {
                body = trim(substr(body, 1, RSTART - 1))
                last = body
                sub(/^.*;[ \t]*/, "", last)
                if (!exits(body) && !benign(trim(last))) { offend(k); continue }
            }
        }
        if (!exits(t) && bad_semicolon(t)) { offend(k); continue }
        if (continues(t) || exits(t)) continue
        if (in_case > 0 && t ~ /^[^()]*\)$/) continue      # a case label
        if (k == nl) continue
        if (n ~ /^done([ \t;&|<>)]|$)/ && !ends_compound(t) && !benign(t)) {
            offend(k)
            continue
        }
        if (closes(n)) continue
        offend(k)
    }
    exit bad
}
