/* imp_config.cpp - read and validate flux-imp's TOML configuration.
 * toml++ is used header-only with TOML_EXCEPTIONS=0: parse errors come back
 * as a parse_result, never as an exception.
 */
#include "imp_config.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <toml++/toml.h>

namespace imp {

namespace {

std::string where(const std::string &name, const toml::source_region &src)
{
    return name + ":" + std::to_string(src.begin.line) + ":" + std::to_string(src.begin.column);
}

bool string_array(const toml::node &n, const std::string &name, const char *key, bool abs_path,
                  std::vector<std::string> &out, std::string &err)
{
    const toml::array *a = n.as_array();
    if (!a) {
        err = where(name, n.source()) + ": exec." + key + ": expected an array of strings";
        return false;
    }
    for (size_t i = 0; i < a->size(); i++) {
        const toml::node &e = *a->get(i);
        const toml::value<std::string> *s = e.as_string();
        if (!s || s->get().empty() || s->get().find('\0') != std::string::npos
            || (abs_path && s->get()[0] != '/')) {
            err = where(name, e.source()) + ": exec." + key + "[" + std::to_string(i)
                  + "]: expected a non-empty " + (abs_path ? "absolute path" : "user name");
            return false;
        }
        out.push_back(s->get());
    }
    return true;
}

bool secure_file(int fd, const std::string &path, std::string &err)
{
    struct stat sb;
    if (fstat(fd, &sb) < 0) {
        err = path + ": " + strerror(errno);
        return false;
    }
    if (sb.st_uid != 0 || (sb.st_mode & (S_IWGRP | S_IWOTH))) {
        err = path + ": must be owned by root and not writable by group or others";
        return false;
    }
    return true;
}

bool key_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'
           || c == '-' || c == '"' || c == '\'';
}

/* toml++ 3.3 asserts (aborts; with NDEBUG: undefined behaviour) on a table
 * header whose key does not start with a key character, e.g. "[.a]" or
 * "[[[" (found by bench/fuzz; marzer/tomlplusplus#301).  Refuse those
 * lines before toml++ sees them.  Returns the 1-based bad line, or 0. */
size_t bad_table_header(std::string_view text)
{
    size_t line = 1;
    for (size_t i = 0; i < text.size(); line++) {
        size_t eol = text.find('\n', i);
        std::string_view l = text.substr(i, eol == std::string_view::npos ? eol : eol - i);
        size_t k = l.find_first_not_of(" \t");
        if (k != std::string_view::npos && l[k] == '[') {
            k++;
            if (k < l.size() && l[k] == '[')
                k++;
            k = l.find_first_not_of(" \t", k);
            if (k == std::string_view::npos || !key_start(l[k]))
                return line;
        }
        if (eol == std::string_view::npos)
            break;
        i = eol + 1;
    }
    return 0;
}

} // namespace

bool imp_config_parse(std::string_view text, const std::string &name, ImpConfig &cfg,
                      std::string &err)
{
    /* Printable ASCII, tab and newlines only: toml++ 3.3 reaches an
     * "unreachable" point (undefined behaviour) on some non-ASCII input
     * (found by bench/fuzz), and user names and paths here need none. */
    size_t line = 1;
    for (unsigned char c : text) {
        if (c == '\n')
            line++;
        else if (c >= 0x7f || (c < 0x20 && c != '\t' && c != '\r')) {
            err = name + ":" + std::to_string(line)
                  + ": only printable ASCII is allowed in the IMP configuration";
            return false;
        }
    }
    if (size_t bad = bad_table_header(text)) {
        err = name + ":" + std::to_string(bad)
              + ": a line starting with '[' must be a table header starting with a key";
        return false;
    }
    toml::parse_result res = toml::parse(text, name);
    if (!res) {
        const toml::parse_error &pe = res.error();
        err = where(name, pe.source()) + ": " + std::string(pe.description());
        return false;
    }
    const toml::table &tbl = res.table();
    for (auto &&[k, v] : tbl) {
        if (k != "exec") {
            err = where(name, v.source()) + ": unknown table '" + std::string(k.str())
                  + "' (expected exec)";
            return false;
        }
        if (!v.is_table()) {
            err = where(name, v.source()) + ": exec: expected a table";
            return false;
        }
    }
    const toml::table *ex = tbl["exec"].as_table();
    if (!ex)
        return true;
    for (auto &&[k, v] : *ex) {
        std::string key(k.str());
        if (key == "allowed-users") {
            if (!string_array(v, name, "allowed-users", false, cfg.allowed_users, err))
                return false;
        }
        else if (key == "allowed-shells") {
            if (!string_array(v, name, "allowed-shells", true, cfg.allowed_shells, err))
                return false;
        }
        else if (key == "allow-unprivileged-exec") {
            if (!v.is_boolean()) {
                err = where(name, v.source()) + ": exec.allow-unprivileged-exec: expected true or false";
                return false;
            }
            if (cfg.allow_unprivileged_exec_set) {
                err = where(name, v.source()) + ": exec.allow-unprivileged-exec: set twice";
                return false;
            }
            cfg.allow_unprivileged_exec = v.as_boolean()->get();
            cfg.allow_unprivileged_exec_set = true;
        }
        else if (key == "munge-socket") {
            const toml::value<std::string> *s = v.as_string();
            if (!s || s->get().empty() || s->get()[0] != '/') {
                err = where(name, v.source()) + ": exec.munge-socket: expected an absolute path";
                return false;
            }
            if (!cfg.munge_socket.empty()) {
                err = where(name, v.source()) + ": exec.munge-socket: set twice";
                return false;
            }
            cfg.munge_socket = s->get();
        }
        else {
            err = where(name, v.source()) + ": exec: unknown key '" + key
                  + "' (expected allowed-users, allowed-shells, allow-unprivileged-exec,"
                    " munge-socket)";
            return false;
        }
    }
    return true;
}

bool imp_config_load(const std::string &dir, bool secure, ImpConfig &cfg, std::string &err)
{
    int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        err = "cannot read configuration " + dir + ": " + strerror(errno);
        return false;
    }
    if (secure && !secure_file(dfd, dir, err)) {
        close(dfd);
        return false;
    }
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        err = dir + ": " + strerror(errno);
        return false;
    }
    std::vector<std::string> names;
    while (struct dirent *e = readdir(d)) {
        std::string n = e->d_name;
        if (n.size() > 5 && n.compare(n.size() - 5, 5, ".toml") == 0 && n[0] != '.')
            names.push_back(n);
    }
    std::sort(names.begin(), names.end());
    bool ok = true;
    for (const std::string &n : names) {
        std::string path = dir + "/" + n;
        int fd = openat(dirfd(d), n.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
            err = path + ": " + strerror(errno);
            ok = false;
            break;
        }
        struct stat sb;
        if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size > 1024 * 1024) {
            err = path + ": not a regular file of at most 1 MiB";
            close(fd);
            ok = false;
            break;
        }
        if (secure && !secure_file(fd, path, err)) {
            close(fd);
            ok = false;
            break;
        }
        std::string text((size_t)sb.st_size, '\0');
        size_t off = 0;
        while (off < text.size()) {
            ssize_t r = read(fd, text.data() + off, text.size() - off);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            off += (size_t)r;
        }
        close(fd);
        text.resize(off);
        if (!imp_config_parse(text, path, cfg, err)) {
            ok = false;
            break;
        }
        cfg.files++;
    }
    closedir(d);
    if (ok && cfg.files == 0) {
        err = "no configuration: " + dir + " holds no *.toml file";
        ok = false;
    }
    return ok;
}

} // namespace imp
