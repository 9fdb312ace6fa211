/* libpmi.c - libpmi.so: the PMI-1 client API over the simple wire protocol
 * (Flux RFC 13) that flux-shell serves on PMI_FD.
 *
 * The shell names this library in FLUX_PMI_LIBRARY_PATH; Open MPI 4.1's
 * "flux" pmix component dlopens it, and any program linked against a
 * PMI-1 libpmi.so can use it.  Environment: PMI_FD, PMI_RANK, PMI_SIZE.
 * Without PMI_FD the process is a singleton (rank 0 of 1, a private KVS).
 *
 * Not thread-safe (PMI-1 never was).  Returns the PMI_* codes of pmi.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PMI_SUCCESS 0
#define PMI_FAIL -1
#define PMI_ERR_INIT 1
#define PMI_ERR_NOMEM 2
#define PMI_ERR_INVALID_ARG 3
#define PMI_ERR_INVALID_KEY 4
#define PMI_ERR_INVALID_KEY_LENGTH 5
#define PMI_ERR_INVALID_VAL 6
#define PMI_ERR_INVALID_VAL_LENGTH 7
#define PMI_ERR_INVALID_LENGTH 8

#define LINE_MAX_LEN 4096

static struct {
    int initialized;
    int fd; /* -1: singleton */
    int rank, size, appnum;
    int kvsname_max, keylen_max, vallen_max;
    char kvsname[256];
    /* singleton KVS: a small list */
    struct kv {
        char *key, *val;
    } *kvs;
    int nkvs;
    char rbuf[LINE_MAX_LEN * 2];
    size_t rlen;
} pmi = {.fd = -1};

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Read one line (without '\n') into out. */
static int read_line(char *out, size_t size)
{
    for (;;) {
        char *nl = memchr(pmi.rbuf, '\n', pmi.rlen);
        if (nl) {
            size_t n = (size_t)(nl - pmi.rbuf);
            if (n >= size)
                return -1;
            memcpy(out, pmi.rbuf, n);
            out[n] = '\0';
            memmove(pmi.rbuf, nl + 1, pmi.rlen - n - 1);
            pmi.rlen -= n + 1;
            return 0;
        }
        if (pmi.rlen == sizeof(pmi.rbuf))
            return -1;
        ssize_t r = read(pmi.fd, pmi.rbuf + pmi.rlen, sizeof(pmi.rbuf) - pmi.rlen);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        pmi.rlen += (size_t)r;
    }
}

/* The value of " name=" in line (up to the next space; value= and msg=
 * to the end of the line), copied. */
static int getfield(const char *line, const char *name, char *out, size_t size)
{
    size_t nl = strlen(name);
    const char *p = line;
    while ((p = strstr(p, name))) {
        if ((p == line || p[-1] == ' ') && p[nl] == '=') {
            p += nl + 1;
            /* value and msg run to the end of the line */
            size_t n = strcmp(name, "value") == 0 || strcmp(name, "msg") == 0 ? strlen(p)
                                                                              : strcspn(p, " ");
            if (n >= size)
                return -1;
            memcpy(out, p, n);
            out[n] = '\0';
            return 0;
        }
        p += nl;
    }
    return -1;
}

static int getint(const char *line, const char *name, int *val)
{
    char buf[32];
    char *end;
    if (getfield(line, name, buf, sizeof(buf)) < 0)
        return -1;
    errno = 0;
    long v = strtol(buf, &end, 10);
    if (errno || *end)
        return -1;
    *val = (int)v;
    return 0;
}

static int debug = -1; /* FLUX_PMI_DEBUG=1: trace the wire on stderr */

static void trace(const char *dir, const char *line)
{
    if (debug < 0)
        debug = getenv("FLUX_PMI_DEBUG") != NULL;
    if (debug)
        fprintf(stderr, "libpmi[%d]: %s %.*s\n", pmi.rank, dir, (int)strcspn(line, "\n"), line);
}

/* Send REQ; read the response, which must be "cmd=EXPECT ... rc=0".
 * rsp may be NULL. */
static int rpc(const char *req, const char *expect, char *rsp, size_t size)
{
    char buf[LINE_MAX_LEN];
    char cmd[64];
    int rc;
    trace(">", req);
    if (write_all(pmi.fd, req, strlen(req)) < 0 || read_line(buf, sizeof(buf)) < 0)
        return PMI_FAIL;
    trace("<", buf);
    if (getfield(buf, "cmd", cmd, sizeof(cmd)) < 0 || strcmp(cmd, expect) != 0
        || getint(buf, "rc", &rc) < 0 || rc != 0)
        return PMI_FAIL;
    if (rsp) {
        if (strlen(buf) >= size)
            return PMI_FAIL;
        strcpy(rsp, buf);
    }
    return PMI_SUCCESS;
}

static int env_int(const char *name, int *val)
{
    const char *s = getenv(name);
    char *end;
    if (!s)
        return -1;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s)
        return -1;
    *val = (int)v;
    return 0;
}

int PMI_Init(int *spawned)
{
    char rsp[LINE_MAX_LEN];
    if (!spawned)
        return PMI_ERR_INVALID_ARG;
    *spawned = 0;
    if (pmi.initialized)
        return PMI_SUCCESS;
    pmi.kvsname_max = 256;
    pmi.keylen_max = 256;
    pmi.vallen_max = 1024;
    if (env_int("PMI_FD", &pmi.fd) < 0) {
        pmi.fd = -1; /* singleton */
        pmi.rank = 0;
        pmi.size = 1;
        snprintf(pmi.kvsname, sizeof(pmi.kvsname), "singleton_%d", (int)getpid());
        pmi.initialized = 1;
        return PMI_SUCCESS;
    }
    if (env_int("PMI_RANK", &pmi.rank) < 0 || env_int("PMI_SIZE", &pmi.size) < 0)
        return PMI_ERR_INIT;
    if (rpc("cmd=init pmi_version=1 pmi_subversion=1\n", "response_to_init", NULL, 0) != 0
        || rpc("cmd=get_maxes\n", "maxes", rsp, sizeof(rsp)) != 0
        || getint(rsp, "kvsname_max", &pmi.kvsname_max) < 0
        || getint(rsp, "keylen_max", &pmi.keylen_max) < 0
        || getint(rsp, "vallen_max", &pmi.vallen_max) < 0
        || rpc("cmd=get_my_kvsname\n", "my_kvsname", rsp, sizeof(rsp)) != 0
        || getfield(rsp, "kvsname", pmi.kvsname, sizeof(pmi.kvsname)) < 0)
        return PMI_FAIL;
    if (rpc("cmd=get_appnum\n", "appnum", rsp, sizeof(rsp)) != 0
        || getint(rsp, "appnum", &pmi.appnum) < 0)
        pmi.appnum = 0;
    pmi.initialized = 1;
    return PMI_SUCCESS;
}

int PMI_Initialized(int *initialized)
{
    if (!initialized)
        return PMI_ERR_INVALID_ARG;
    *initialized = pmi.initialized;
    return PMI_SUCCESS;
}

int PMI_Finalize(void)
{
    int rc = PMI_SUCCESS;
    if (!pmi.initialized)
        return PMI_ERR_INIT;
    if (pmi.fd >= 0) {
        rc = rpc("cmd=finalize\n", "finalize_ack", NULL, 0);
        close(pmi.fd);
        pmi.fd = -1;
    }
    for (int i = 0; i < pmi.nkvs; i++) {
        free(pmi.kvs[i].key);
        free(pmi.kvs[i].val);
    }
    free(pmi.kvs);
    pmi.kvs = NULL;
    pmi.nkvs = 0;
    pmi.initialized = 0;
    return rc;
}

int PMI_Abort(int exit_code, const char error_msg[])
{
    if (error_msg && *error_msg)
        fprintf(stderr, "PMI_Abort: %s\n", error_msg);
    if (pmi.initialized && pmi.fd >= 0) {
        char req[128];
        snprintf(req, sizeof(req), "cmd=abort exitcode=%d\n", exit_code);
        (void)write_all(pmi.fd, req, strlen(req));
    }
    _exit(exit_code);
}

int PMI_Get_size(int *size)
{
    if (!pmi.initialized)
        return PMI_ERR_INIT;
    if (!size)
        return PMI_ERR_INVALID_ARG;
    *size = pmi.size;
    return PMI_SUCCESS;
}

int PMI_Get_rank(int *rank)
{
    if (!pmi.initialized)
        return PMI_ERR_INIT;
    if (!rank)
        return PMI_ERR_INVALID_ARG;
    *rank = pmi.rank;
    return PMI_SUCCESS;
}

int PMI_Get_universe_size(int *size)
{
    char rsp[LINE_MAX_LEN];
    if (!pmi.initialized)
        return PMI_ERR_INIT;
    if (!size)
        return PMI_ERR_INVALID_ARG;
    if (pmi.fd < 0) {
        *size = 1;
        return PMI_SUCCESS;
    }
    if (rpc("cmd=get_universe_size\n", "universe_size", rsp, sizeof(rsp)) != 0
        || getint(rsp, "size", size) < 0)
        return PMI_FAIL;
    return PMI_SUCCESS;
}

int PMI_Get_appnum(int *appnum)
{
    if (!pmi.initialized)
        return PMI_ERR_INIT;
    if (!appnum)
        return PMI_ERR_INVALID_ARG;
    *appnum = pmi.appnum;
    return PMI_SUCCESS;
}

int PMI_Barrier(void)
{
    if (!pmi.initialized)
        return PMI_ERR_INIT;
    if (pmi.fd < 0)
        return PMI_SUCCESS;
    return rpc("cmd=barrier_in\n", "barrier_out", NULL, 0);
}

int PMI_KVS_Get_my_name(char kvsname[], int length)
{
    if (!pmi.initialized)
        return PMI_ERR_INIT;
    if (!kvsname || length <= 0)
        return PMI_ERR_INVALID_ARG;
    if ((int)strlen(pmi.kvsname) >= length)
        return PMI_ERR_INVALID_LENGTH;
    strcpy(kvsname, pmi.kvsname);
    return PMI_SUCCESS;
}

int PMI_KVS_Get_name_length_max(int *length)
{
    if (!length)
        return PMI_ERR_INVALID_ARG;
    *length = pmi.kvsname_max ? pmi.kvsname_max : 256;
    return PMI_SUCCESS;
}

int PMI_KVS_Get_key_length_max(int *length)
{
    if (!length)
        return PMI_ERR_INVALID_ARG;
    *length = pmi.keylen_max ? pmi.keylen_max : 256;
    return PMI_SUCCESS;
}

int PMI_KVS_Get_value_length_max(int *length)
{
    if (!length)
        return PMI_ERR_INVALID_ARG;
    *length = pmi.vallen_max ? pmi.vallen_max : 1024;
    return PMI_SUCCESS;
}

static int check_word(const char *s, int max, int err)
{
    if (!s || !*s || (int)strlen(s) > max || strpbrk(s, " \n="))
        return err;
    return PMI_SUCCESS;
}

int PMI_KVS_Put(const char kvsname[], const char key[], const char value[])
{
    char req[LINE_MAX_LEN];
    int rc;
    if (!pmi.initialized)
        return PMI_ERR_INIT;
    if (!kvsname || strcmp(kvsname, pmi.kvsname) != 0)
        return PMI_ERR_INVALID_ARG;
    if ((rc = check_word(key, pmi.keylen_max, PMI_ERR_INVALID_KEY)) != 0) {
        trace("bad key", key ? key : "(null)");
        return rc;
    }
    if (!value || (int)strlen(value) > pmi.vallen_max || strchr(value, '\n')) {
        trace("bad value", value ? value : "(null)");
        return PMI_ERR_INVALID_VAL;
    }
    if (pmi.fd < 0) {
        for (int i = 0; i < pmi.nkvs; i++) {
            if (strcmp(pmi.kvs[i].key, key) == 0) {
                char *v = strdup(value);
                if (!v)
                    return PMI_ERR_NOMEM;
                free(pmi.kvs[i].val);
                pmi.kvs[i].val = v;
                return PMI_SUCCESS;
            }
        }
        struct kv *n = realloc(pmi.kvs, sizeof(*n) * (size_t)(pmi.nkvs + 1));
        if (!n)
            return PMI_ERR_NOMEM;
        pmi.kvs = n;
        pmi.kvs[pmi.nkvs].key = strdup(key);
        pmi.kvs[pmi.nkvs].val = strdup(value);
        if (!pmi.kvs[pmi.nkvs].key || !pmi.kvs[pmi.nkvs].val)
            return PMI_ERR_NOMEM;
        pmi.nkvs++;
        return PMI_SUCCESS;
    }
    snprintf(req, sizeof(req), "cmd=put kvsname=%s key=%s value=%s\n", kvsname, key, value);
    return rpc(req, "put_result", NULL, 0);
}

int PMI_KVS_Commit(const char kvsname[])
{
    if (!pmi.initialized)
        return PMI_ERR_INIT;
    if (!kvsname || strcmp(kvsname, pmi.kvsname) != 0)
        return PMI_ERR_INVALID_ARG;
    return PMI_SUCCESS; /* puts are sent as they are made */
}

int PMI_KVS_Get(const char kvsname[], const char key[], char value[], int length)
{
    char req[LINE_MAX_LEN], rsp[LINE_MAX_LEN];
    int rc;
    if (!pmi.initialized)
        return PMI_ERR_INIT;
    if (!kvsname || strcmp(kvsname, pmi.kvsname) != 0 || !value || length <= 0)
        return PMI_ERR_INVALID_ARG;
    if ((rc = check_word(key, pmi.keylen_max, PMI_ERR_INVALID_KEY)) != 0)
        return rc;
    if (pmi.fd < 0) {
        for (int i = 0; i < pmi.nkvs; i++) {
            if (strcmp(pmi.kvs[i].key, key) == 0) {
                if ((int)strlen(pmi.kvs[i].val) >= length)
                    return PMI_ERR_INVALID_LENGTH;
                strcpy(value, pmi.kvs[i].val);
                return PMI_SUCCESS;
            }
        }
        if (strcmp(key, "PMI_process_mapping") == 0 && length > 20) {
            strcpy(value, "(vector,(0,1,1))");
            return PMI_SUCCESS;
        }
        return PMI_FAIL;
    }
    snprintf(req, sizeof(req), "cmd=get kvsname=%s key=%s\n", kvsname, key);
    if (rpc(req, "get_result", rsp, sizeof(rsp)) != 0)
        return PMI_FAIL;
    if (getfield(rsp, "value", value, (size_t)length) < 0)
        return PMI_ERR_INVALID_LENGTH;
    return PMI_SUCCESS;
}

/* The tasks on this node, from PMI_process_mapping's RFC 13 vector
 * "(vector,(node,nnodes,ppn),...)": ranks are laid out in block order. */
static int clique(int *ranks, int max, int *count)
{
    char map[LINE_MAX_LEN];
    if (PMI_KVS_Get(pmi.kvsname, "PMI_process_mapping", map, sizeof(map)) != PMI_SUCCESS
        || strncmp(map, "(vector", 7) != 0)
        goto self;
    {
        const char *p = map + 7;
        int next = 0;
        while ((p = strchr(p, '('))) {
            int node, nnodes, ppn;
            if (sscanf(p, "(%d,%d,%d)", &node, &nnodes, &ppn) != 3 || nnodes < 0 || ppn < 0)
                goto self;
            for (int n = 0; n < nnodes; n++) {
                if (pmi.rank >= next && pmi.rank < next + ppn) {
                    *count = ppn;
                    for (int i = 0; ranks && i < ppn && i < max; i++)
                        ranks[i] = next + i;
                    return PMI_SUCCESS;
                }
                next += ppn;
            }
            p++;
        }
    }
self:
    *count = 1;
    if (ranks && max > 0)
        ranks[0] = pmi.rank;
    return PMI_SUCCESS;
}

int PMI_Get_clique_size(int *size)
{
    if (!pmi.initialized)
        return PMI_ERR_INIT;
    if (!size)
        return PMI_ERR_INVALID_ARG;
    return clique(NULL, 0, size);
}

int PMI_Get_clique_ranks(int ranks[], int length)
{
    int n;
    if (!pmi.initialized)
        return PMI_ERR_INIT;
    if (!ranks)
        return PMI_ERR_INVALID_ARG;
    if (clique(NULL, 0, &n) != PMI_SUCCESS)
        return PMI_FAIL;
    if (n > length)
        return PMI_ERR_INVALID_LENGTH;
    return clique(ranks, length, &n);
}

int PMI_Get_id(char id_str[], int length)
{
    return PMI_KVS_Get_my_name(id_str, length);
}

int PMI_Get_kvs_domain_id(char id_str[], int length)
{
    return PMI_KVS_Get_my_name(id_str, length);
}

int PMI_Get_id_length_max(int *length)
{
    return PMI_KVS_Get_name_length_max(length);
}

int PMI_Publish_name(const char service_name[], const char port[])
{
    (void)service_name;
    (void)port;
    return PMI_FAIL;
}

int PMI_Unpublish_name(const char service_name[])
{
    (void)service_name;
    return PMI_FAIL;
}

int PMI_Lookup_name(const char service_name[], char port[])
{
    (void)service_name;
    (void)port;
    return PMI_FAIL;
}
