/* jobtmp.cpp - built-in plugin "jobtmp": the job's files and {{tmpdir}}.
 *
 * shell.init: when the jobspec carries files (attributes.system.files,
 * RFC 14/37: NAME -> {data, encoding "utf-8"|"base64", mode}) or its
 * command names {{tmpdir}}, make a private directory for the job on this
 * node ($TMPDIR or /tmp, "flux-job-ID-NODE-XXXXXX"), write the files into
 * it, replace {{tmpdir}} in the command's arguments and set
 * FLUX_JOB_TMPDIR.  flux batch's script travels this way and runs as
 * "flux broker {{tmpdir}}/script".  shell.exit removes the directory.
 * A job with neither costs nothing here.
 */
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <ftw.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "fluid/fluid.h"
#include "shell/internal.h"

namespace {

std::string tmpdir_path; /* one job per shell */

const std::string mark = "{{tmpdir}}";

int base64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

bool base64_decode(const char *in, std::string *out)
{
    unsigned buf = 0;
    int bits = 0;
    for (const char *p = in; *p; p++) {
        if (*p == '=' || *p == '\n' || *p == '\r')
            continue;
        int v = base64_value(*p);
        if (v < 0)
            return false;
        buf = (buf << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out->push_back((char)((buf >> bits) & 0xff));
        }
    }
    return true;
}

bool write_file(const std::string &path, const std::string &data, int mode)
{
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 07777);
    if (fd < 0)
        return false;
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = write(fd, data.data() + off, data.size() - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            close(fd);
            return false;
        }
        off += (size_t)n;
    }
    fchmod(fd, mode & 07777);
    return close(fd) == 0;
}

int shell_init(flux_shell_t *shell, const char *, flux_shell_task_t *, void *)
{
    json_t *info = flux_shell_get_info(shell);
    json_t *jobspec = json_object_get(info, "jobspec");
    json_t *files = json_object_get(
        json_object_get(json_object_get(jobspec, "attributes"), "system"), "files");
    json_t *command = json_object_get(json_array_get(json_object_get(jobspec, "tasks"), 0),
                                      "command");
    bool uses_mark = false;
    size_t i;
    json_t *a;
    json_array_foreach(command, i, a)
    {
        const char *s = json_string_value(a);
        if (s && strstr(s, mark.c_str()))
            uses_mark = true;
    }
    if (!uses_mark && (!json_is_object(files) || json_object_size(files) == 0))
        return 0;
    const char *base = getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/flux-job-"
                       + flux::fluid_encode(shell->id, flux::FluidFormat::dec) + "-"
                       + std::to_string(shell->rank) + "-XXXXXX";
    if (!mkdtemp(tmpl.data())) {
        flux_shell_log(shell, 3, "cannot create the job's directory %s: %s", tmpl.c_str(),
                       strerror(errno));
        return -1;
    }
    tmpdir_path = tmpl;
    const char *name;
    json_t *f;
    json_object_foreach(files, name, f)
    {
        const char *data = json_string_value(json_object_get(f, "data"));
        const char *enc = json_string_value(json_object_get(f, "encoding"));
        json_t *mode = json_object_get(f, "mode");
        if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..") || !data) {
            flux_shell_log(shell, 3, "jobspec: attributes.system.files.%s: expected a plain name "
                           "with a data string", name);
            return -1;
        }
        std::string bytes;
        if (!enc || !strcmp(enc, "utf-8"))
            bytes = data;
        else if (!strcmp(enc, "base64")) {
            if (!base64_decode(data, &bytes)) {
                flux_shell_log(shell, 3, "jobspec: attributes.system.files.%s: bad base64", name);
                return -1;
            }
        }
        else {
            flux_shell_log(shell, 3, "jobspec: attributes.system.files.%s: unknown encoding '%s'",
                           name, enc);
            return -1;
        }
        int m = json_is_integer(mode) ? (int)json_integer_value(mode) : 0600;
        if (!write_file(tmpdir_path + "/" + name, bytes, m)) {
            flux_shell_log(shell, 3, "cannot write %s/%s: %s", tmpdir_path.c_str(), name,
                           strerror(errno));
            return -1;
        }
    }
    json_array_foreach(command, i, a)
    {
        std::string s = json_string_value(a) ? json_string_value(a) : "";
        bool changed = false;
        for (size_t pos = 0; (pos = s.find(mark, pos)) != std::string::npos;
             pos += tmpdir_path.size()) {
            s.replace(pos, mark.size(), tmpdir_path);
            changed = true;
        }
        if (changed)
            json_array_set_new(command, i, json_string(s.c_str()));
    }
    flux_shell_setenv(shell, "FLUX_JOB_TMPDIR", tmpdir_path.c_str(), 1);
    return 0;
}

int remove_one(const char *path, const struct stat *, int, struct FTW *)
{
    remove(path);
    return 0;
}

int shell_exit(flux_shell_t *, const char *, flux_shell_task_t *, void *)
{
    if (!tmpdir_path.empty())
        nftw(tmpdir_path.c_str(), remove_one, 16, FTW_DEPTH | FTW_PHYS);
    tmpdir_path.clear();
    return 0;
}

int init(flux_shell_t *shell)
{
    if (flux_shell_add_handler(shell, "shell.init", shell_init, nullptr) < 0
        || flux_shell_add_handler(shell, "shell.exit", shell_exit, nullptr) < 0)
        return -1;
    return 0;
}

const flux_shell_plugin_info info = {FLUX_SHELL_PLUGIN_API_VERSION, "jobtmp", init};

} // namespace

const flux_shell_plugin_info *flux::shell::builtins::jobtmp()
{
    return &info;
}
