/* pmix_boot.cpp - pmix_boot.so: the broker's PMIx client (pmix_boot.h). */
#include "pmix_boot.h"

#include <pmix.h>

#include <cstdio>
#include <cstring>

namespace {

pmix_proc_t me;
bool initialized = false;

int fail(char *err, size_t errlen, const char *what, pmix_status_t rc)
{
    snprintf(err, errlen, "%s: %s", what, PMIx_Error_string(rc));
    return -1;
}

int boot_init(uint32_t *rank, uint32_t *size, char *err, size_t errlen)
{
    pmix_status_t rc = PMIx_Init(&me, nullptr, 0);
    if (rc != PMIX_SUCCESS)
        return fail(err, errlen, "PMIx_Init", rc);
    initialized = true;
    pmix_proc_t wild;
    PMIX_LOAD_PROCID(&wild, me.nspace, PMIX_RANK_WILDCARD);
    pmix_value_t *v = nullptr;
    rc = PMIx_Get(&wild, PMIX_JOB_SIZE, nullptr, 0, &v);
    if (rc != PMIX_SUCCESS)
        return fail(err, errlen, "PMIx_Get(" PMIX_JOB_SIZE ")", rc);
    bool ok = v->type == PMIX_UINT32;
    if (ok)
        *size = v->data.uint32;
    PMIX_VALUE_RELEASE(v);
    if (!ok) {
        snprintf(err, errlen, "PMIx_Get(" PMIX_JOB_SIZE "): not a uint32");
        return -1;
    }
    *rank = me.rank;
    return 0;
}

int boot_put(const char *key, const char *value, char *err, size_t errlen)
{
    pmix_value_t v;
    PMIX_VALUE_CONSTRUCT(&v);
    v.type = PMIX_STRING;
    v.data.string = (char *)value;
    pmix_status_t rc = PMIx_Put(PMIX_GLOBAL, key, &v);
    if (rc != PMIX_SUCCESS)
        return fail(err, errlen, "PMIx_Put", rc);
    if ((rc = PMIx_Commit()) != PMIX_SUCCESS)
        return fail(err, errlen, "PMIx_Commit", rc);
    return 0;
}

int boot_fence(double timeout, char *err, size_t errlen)
{
    pmix_info_t info[2];
    bool collect = true;
    int secs = timeout > 0 && timeout < 1e6 ? (int)timeout : 0;
    PMIX_INFO_CONSTRUCT(&info[0]);
    PMIX_INFO_CONSTRUCT(&info[1]);
    PMIX_INFO_LOAD(&info[0], PMIX_COLLECT_DATA, &collect, PMIX_BOOL);
    PMIX_INFO_LOAD(&info[1], PMIX_TIMEOUT, &secs, PMIX_INT);
    pmix_status_t rc = PMIx_Fence(nullptr, 0, info, secs > 0 ? 2 : 1);
    PMIX_INFO_DESTRUCT(&info[0]);
    PMIX_INFO_DESTRUCT(&info[1]);
    if (rc != PMIX_SUCCESS)
        return fail(err, errlen, "PMIx_Fence", rc);
    return 0;
}

int boot_get(uint32_t rank, const char *key, char *buf, size_t buflen, char *err, size_t errlen)
{
    pmix_proc_t p;
    PMIX_LOAD_PROCID(&p, me.nspace, rank);
    pmix_value_t *v = nullptr;
    pmix_status_t rc = PMIx_Get(&p, key, nullptr, 0, &v);
    if (rc != PMIX_SUCCESS)
        return fail(err, errlen, "PMIx_Get", rc);
    int ret = 0;
    if (v->type != PMIX_STRING || !v->data.string || strlen(v->data.string) >= buflen) {
        snprintf(err, errlen, "PMIx_Get(%s) of rank %u: not a string that fits", key, rank);
        ret = -1;
    }
    else
        strcpy(buf, v->data.string);
    PMIX_VALUE_RELEASE(v);
    return ret;
}

void boot_finalize()
{
    if (initialized)
        (void)PMIx_Finalize(nullptr, 0);
    initialized = false;
}

const fluxd_pmix_ops ops = {boot_init, boot_put, boot_fence, boot_get, boot_finalize};

} // namespace

extern "C" __attribute__((visibility("default"))) const struct fluxd_pmix_ops *
fluxd_pmix_boot_ops(void)
{
    return &ops;
}
