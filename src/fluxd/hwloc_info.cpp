/* hwloc_info.cpp - the hwloc.info service: this node's hardware as hwloc
 * sees it (cores, PUs, NUMA nodes, GPUs, memory).  The topology is loaded on
 * the first request, never on the start-up path. */
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include <hwloc.h>

#include "broker.h"

namespace fluxd {

namespace {

struct TopologyDeleter {
    void operator()(hwloc_topology *t) const { hwloc_topology_destroy(t); }
};
using TopologyPtr = std::unique_ptr<hwloc_topology, TopologyDeleter>;

json_t *discover(std::string *err, std::vector<std::vector<unsigned>> *core_pus)
{
    hwloc_topology_t raw;
    if (hwloc_topology_init(&raw) < 0) {
        *err = "hwloc_topology_init failed";
        return nullptr;
    }
    TopologyPtr topo(raw);
    hwloc_topology_set_io_types_filter(raw, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
    if (hwloc_topology_load(raw) < 0) {
        *err = std::string("hwloc_topology_load: ") + strerror(errno);
        return nullptr;
    }
    int cores = hwloc_get_nbobjs_by_type(raw, HWLOC_OBJ_CORE);
    int pus = hwloc_get_nbobjs_by_type(raw, HWLOC_OBJ_PU);
    int numa = hwloc_get_nbobjs_by_type(raw, HWLOC_OBJ_NUMANODE);
    int packages = hwloc_get_nbobjs_by_type(raw, HWLOC_OBJ_PACKAGE);
    int gpus = 0;
    for (hwloc_obj_t o = hwloc_get_next_osdev(raw, nullptr); o; o = hwloc_get_next_osdev(raw, o)) {
        if (o->attr->osdev.type == HWLOC_OBJ_OSDEV_GPU ||
            o->attr->osdev.type == HWLOC_OBJ_OSDEV_COPROC) {
            /* Count CUDA/ROCm/LevelZero devices once each, not their aliases. */
            const char *backend = hwloc_obj_get_info_by_name(o, "Backend");
            if (backend && (strcmp(backend, "CUDA") == 0 || strcmp(backend, "RSMI") == 0 ||
                            strcmp(backend, "LevelZero") == 0))
                gpus++;
        }
    }
    /* OS CPU numbers of each core, by the core's logical index (R's core ids). */
    core_pus->clear();
    for (int c = 0; c < cores; c++) {
        hwloc_obj_t core = hwloc_get_obj_by_type(raw, HWLOC_OBJ_CORE, (unsigned)c);
        std::vector<unsigned> pus;
        unsigned pu;
        hwloc_bitmap_foreach_begin(pu, core->cpuset) pus.push_back(pu);
        hwloc_bitmap_foreach_end();
        core_pus->push_back(std::move(pus));
    }
    hwloc_obj_t root = hwloc_get_root_obj(raw);
    /* Per package: its cores (R's core ids) and the memory of the NUMA
     * nodes under it (an even share of the machine's when NUMA memory
     * hangs above the packages). */
    json_t *sockets = json_array();
    for (int p = 0; p < packages; p++) {
        hwloc_obj_t pkg = hwloc_get_obj_by_type(raw, HWLOC_OBJ_PACKAGE, (unsigned)p);
        IdSet ids;
        for (int c = 0; c < cores; c++) {
            hwloc_obj_t core = hwloc_get_obj_by_type(raw, HWLOC_OBJ_CORE, (unsigned)c);
            if (hwloc_bitmap_isincluded(core->cpuset, pkg->cpuset))
                ids.insert((uint32_t)c);
        }
        hwloc_uint64_t mem = pkg->total_memory;
        if (mem == 0)
            mem = root->total_memory / (hwloc_uint64_t)packages;
        json_array_append_new(sockets, json_pack("{s:s s:I}", "cores", ids.encode().c_str(),
                                                 "memory", (json_int_t)mem));
    }
    return json_pack("{s:i s:i s:i s:i s:i s:I s:o}", "packages", packages, "cores", cores, "pus",
                     pus, "numanodes", numa, "gpus", gpus, "memory",
                     (json_int_t)root->total_memory, "sockets", sockets);
}

} // namespace

std::string Broker::cpus_of_cores(const IdSet &cores)
{
    if (!hwloc_info_) {
        std::string err;
        hwloc_info_.reset(discover(&err, &core_pus_));
        if (!hwloc_info_)
            return "";
    }
    IdSet cpus;
    cores.for_each([&](uint32_t c) {
        if (c < core_pus_.size())
            for (unsigned pu : core_pus_[c])
                cpus.insert(pu);
    });
    return cpus.encode();
}

void Broker::svc_hwloc_info(const flux_msg_t *msg)
{
    if (!hwloc_info_) {
        std::string err;
        hwloc_info_.reset(discover(&err, &core_pus_));
        if (!hwloc_info_) {
            respond_error(msg, EIO, err);
            return;
        }
    }
    json_t *o = json_deep_copy(hwloc_info_.get());
    json_object_set_new(o, "rank", json_integer(rank_));
    json_object_set_new(o, "hostname", json_string(hostname_.c_str()));
    respond(msg, o);
}

} // namespace fluxd
