/* pmix-client.c - a PMIx client for testsuite/shell-pmix.t, driving the
 * job shell's PMIx server directly through the OpenPMIx client library.
 *
 *   pmix-client info       print job size, local size, local rank, node
 *                          id, hostname from the server's registration
 *   pmix-client exchange N N rounds: Put "k<rank>" (with the round),
 *                          Commit, Fence with data collection, Get every
 *                          rank's key; prints "rank R ok"
 *   pmix-client dmodex     the same, one round, with a fence that does
 *                          not collect data: remote Gets go through the
 *                          server's direct modex; prints "rank R ok"
 *   pmix-client dmodex-late  one dmodex round where the ranks of node 0
 *                          wait 1 s after the fence before their Gets,
 *                          while the others Get at once and exit: the
 *                          other nodes' shells must still answer
 *   pmix-client publish    rank 0 publishes "svc"; everyone fences, then
 *                          looks it up; prints "rank R lookup VALUE"
 *   pmix-client locality   PMIX_LOCALITY_STRING and PMIX_CPUSET of this
 *                          rank and of its local peer (local rank 0 and 1
 *                          look at each other): "rank R self|peer P
 *                          locality L cpuset C"
 *   pmix-client unknown    Get of a key nobody put: prints the error
 *   pmix-client abort C    rank 1 calls PMIx_Abort(C), the others fence
 *   pmix-client nofinalize rank 1 exits 3 without PMIx_Finalize
 * Exit 0 on success, 1 with a message on stderr otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pmix.h>

static pmix_proc_t me;

static void die(const char *what, pmix_status_t rc)
{
    fprintf(stderr, "rank %u: %s: %s\n", me.rank, what, PMIx_Error_string(rc));
    exit(1);
}

static uint32_t get_u32(const char *key, pmix_rank_t rank)
{
    pmix_proc_t p;
    pmix_value_t *v = NULL;
    pmix_status_t rc;
    uint32_t out = 0;
    PMIX_LOAD_PROCID(&p, me.nspace, rank);
    if ((rc = PMIx_Get(&p, key, NULL, 0, &v)) != PMIX_SUCCESS)
        die(key, rc);
    if (v->type == PMIX_UINT32)
        out = v->data.uint32;
    else if (v->type == PMIX_UINT16)
        out = v->data.uint16;
    else if (v->type == PMIX_PROC_RANK)
        out = v->data.rank;
    PMIX_VALUE_RELEASE(v);
    return out;
}

static void fence(int collect)
{
    pmix_info_t info;
    pmix_status_t rc;
    bool flag = collect ? true : false;
    PMIX_INFO_LOAD(&info, PMIX_COLLECT_DATA, &flag, PMIX_BOOL);
    if ((rc = PMIx_Fence(NULL, 0, &info, 1)) != PMIX_SUCCESS)
        die("PMIx_Fence", rc);
    PMIX_INFO_DESTRUCT(&info);
}

int main(int argc, char **argv)
{
    pmix_status_t rc;
    const char *mode = argc > 1 ? argv[1] : "info";
    uint32_t size;
    if ((rc = PMIx_Init(&me, NULL, 0)) != PMIX_SUCCESS) {
        fprintf(stderr, "PMIx_Init: %s\n", PMIx_Error_string(rc));
        return 1;
    }
    size = get_u32(PMIX_JOB_SIZE, PMIX_RANK_WILDCARD);
    if (!strcmp(mode, "info")) {
        pmix_proc_t p;
        pmix_value_t *v = NULL;
        PMIX_LOAD_PROCID(&p, me.nspace, me.rank);
        if ((rc = PMIx_Get(&p, PMIX_HOSTNAME, NULL, 0, &v)) != PMIX_SUCCESS)
            die("hostname", rc);
        printf("rank %u size %u local_size %u local_rank %u nodeid %u nnodes %u host %s\n",
               me.rank, size, get_u32(PMIX_LOCAL_SIZE, PMIX_RANK_WILDCARD),
               get_u32(PMIX_LOCAL_RANK, me.rank), get_u32(PMIX_NODEID, me.rank),
               get_u32(PMIX_NUM_NODES, PMIX_RANK_WILDCARD), v->data.string);
        PMIX_VALUE_RELEASE(v);
    }
    else if (!strcmp(mode, "locality")) {
        uint32_t lrank = get_u32(PMIX_LOCAL_RANK, me.rank);
        pmix_rank_t peer = lrank == 0 ? me.rank + 1 : me.rank - 1;
        pmix_rank_t who[2] = {me.rank, peer};
        for (int i = 0; i < 2; i++) {
            pmix_proc_t p;
            pmix_value_t *loc = NULL, *cs = NULL;
            PMIX_LOAD_PROCID(&p, me.nspace, who[i]);
            if ((rc = PMIx_Get(&p, PMIX_LOCALITY_STRING, NULL, 0, &loc)) != PMIX_SUCCESS)
                die(PMIX_LOCALITY_STRING, rc);
            if ((rc = PMIx_Get(&p, PMIX_CPUSET, NULL, 0, &cs)) != PMIX_SUCCESS)
                die(PMIX_CPUSET, rc);
            if (loc->type != PMIX_STRING || cs->type != PMIX_STRING) {
                fprintf(stderr, "rank %u: locality/cpuset is not a string\n", me.rank);
                return 1;
            }
            printf("rank %u %s %u locality %s cpuset %s\n", me.rank, i ? "peer" : "self",
                   who[i], loc->data.string, cs->data.string);
            PMIX_VALUE_RELEASE(loc);
            PMIX_VALUE_RELEASE(cs);
        }
    }
    else if (!strcmp(mode, "exchange") || !strcmp(mode, "dmodex")
             || !strcmp(mode, "dmodex-late")) {
        int collect = !strcmp(mode, "exchange");
        int late = !strcmp(mode, "dmodex-late") && get_u32(PMIX_NODEID, me.rank) == 0;
        int rounds = argc > 2 ? atoi(argv[2]) : 1;
        for (int r = 0; r < rounds; r++) {
            char key[64], val[64];
            pmix_value_t value;
            snprintf(key, sizeof(key), "k%u-%d", me.rank, r);
            snprintf(val, sizeof(val), "v%u-%d", me.rank, r);
            PMIX_VALUE_LOAD(&value, val, PMIX_STRING);
            if ((rc = PMIx_Put(PMIX_GLOBAL, key, &value)) != PMIX_SUCCESS)
                die("PMIx_Put", rc);
            PMIX_VALUE_DESTRUCT(&value);
            if ((rc = PMIx_Commit()) != PMIX_SUCCESS)
                die("PMIx_Commit", rc);
            fence(collect);
            if (late)
                sleep(1);
            for (uint32_t i = 0; i < size; i++) {
                pmix_proc_t p;
                pmix_value_t *v = NULL;
                char want[64];
                PMIX_LOAD_PROCID(&p, me.nspace, i);
                snprintf(key, sizeof(key), "k%u-%d", i, r);
                snprintf(want, sizeof(want), "v%u-%d", i, r);
                if ((rc = PMIx_Get(&p, key, NULL, 0, &v)) != PMIX_SUCCESS)
                    die(key, rc);
                if (v->type != PMIX_STRING || strcmp(v->data.string, want) != 0) {
                    fprintf(stderr, "rank %u: %s: wrong value\n", me.rank, key);
                    return 1;
                }
                PMIX_VALUE_RELEASE(v);
            }
        }
        printf("rank %u ok\n", me.rank);
    }
    else if (!strcmp(mode, "publish")) {
        if (me.rank == 0) {
            pmix_info_t info;
            PMIX_INFO_LOAD(&info, "svc", "port-42", PMIX_STRING);
            if ((rc = PMIx_Publish(&info, 1)) != PMIX_SUCCESS)
                die("PMIx_Publish", rc);
            PMIX_INFO_DESTRUCT(&info);
        }
        fence(0);
        pmix_pdata_t pd;
        PMIX_PDATA_CONSTRUCT(&pd);
        PMIX_LOAD_KEY(pd.key, "svc");
        if ((rc = PMIx_Lookup(&pd, 1, NULL, 0)) != PMIX_SUCCESS)
            die("PMIx_Lookup", rc);
        printf("rank %u lookup %s from %u\n", me.rank, pd.value.data.string, pd.proc.rank);
        PMIX_PDATA_DESTRUCT(&pd);
        fence(0);
        if (me.rank == 0) {
            char *keys[] = {"svc", NULL};
            if ((rc = PMIx_Unpublish(keys, NULL, 0)) != PMIX_SUCCESS)
                die("PMIx_Unpublish", rc);
        }
        fence(0);
        PMIX_PDATA_CONSTRUCT(&pd);
        PMIX_LOAD_KEY(pd.key, "svc");
        rc = PMIx_Lookup(&pd, 1, NULL, 0);
        printf("rank %u after unpublish: %s\n", me.rank, PMIx_Error_string(rc));
    }
    else if (!strcmp(mode, "unknown")) {
        pmix_proc_t p;
        pmix_value_t *v = NULL;
        pmix_info_t info;
        bool opt = true;
        PMIX_LOAD_PROCID(&p, me.nspace, 0);
        PMIX_INFO_LOAD(&info, PMIX_OPTIONAL, &opt, PMIX_BOOL);
        rc = PMIx_Get(&p, "no-such-key", &info, 1, &v);
        printf("rank %u get no-such-key: %s\n", me.rank, PMIx_Error_string(rc));
    }
    else if (!strcmp(mode, "abort")) {
        int code = argc > 2 ? atoi(argv[2]) : 1;
        if (me.rank == 1)
            PMIx_Abort(code, "pmix-client abort", NULL, 0);
        fence(0);
        sleep(60);
    }
    else if (!strcmp(mode, "nofinalize")) {
        if (me.rank == 1)
            _exit(3);
        fence(0);
        sleep(60);
    }
    else {
        fprintf(stderr, "unknown mode %s\n", mode);
        return 1;
    }
    if ((rc = PMIx_Finalize(NULL, 0)) != PMIX_SUCCESS)
        die("PMIx_Finalize", rc);
    return 0;
}
