/* Unit tests of sched-graph's library: graph builders, planner, matcher,
 * policies, constraints, R output. */
#include <criterion/criterion.h>

#include <map>
#include <set>
#include <string>

#include "plugins/sched/graph/graph.h"
#include "plugins/sched/graph/match.h"

using namespace flux::graph;

namespace {

Graph gen(const char *spec)
{
    auto g = Graph::generate(spec);
    cr_assert(g.has_value(), "generate(%s): %s", spec, g ? "" : g.error().text.c_str());
    return std::move(*g);
}

Request req(const Graph &g, const std::string &yaml)
{
    auto js = flux::jobspec_parse_yaml(yaml);
    cr_assert(js.has_value(), "jobspec: %s", js ? "" : js.error().text.c_str());
    auto r = request_compile(*js, g);
    cr_assert(r.has_value(), "compile: %s", r ? "" : r.error().text.c_str());
    return std::move(*r);
}

/* version 1 jobspec text around a resources list (YAML flow style). */
std::string js(const std::string &resources, double duration = 0, const std::string &extra = "")
{
    std::string s = "{version: 1, resources: " + resources
                    + ", tasks: [{command: [\"true\"], slot: s, count: {per_slot: 1}}], "
                      "attributes: {system: {duration: "
                    + std::to_string(duration) + extra + "}}}";
    return s;
}

/* Hosts (ranks) and per-type counts of an allocation. */
struct Summary {
    std::set<int32_t> ranks;
    std::map<std::string, int64_t> count;
    std::map<int32_t, int32_t> per_rack; // rack vertex -> hosts used
};

Summary summarize(const Graph &g, const Alloc &a)
{
    Summary s;
    int rack_t = g.type_index("rack");
    for (auto [v, amt] : a.items) {
        s.count[g.type_name(g[v].type)] += amt;
        if (g[v].rank >= 0)
            s.ranks.insert(g[v].rank);
    }
    for (int32_t r : s.ranks) {
        int32_t h = g.host_of((uint32_t)r);
        for (int32_t x = h; x >= 0; x = g[x].parent)
            if (g[x].type == rack_t)
                s.per_rack[x]++;
    }
    return s;
}

MatchResult must_match(Planner &p, const Policy &pol, const Request &r, Op op, uint64_t id,
                       double now = 0)
{
    auto m = match(p, pol, r, op, id, now);
    cr_assert(m.has_value(), "match %s: %s", r.text.c_str(), m ? "" : m.error().text.c_str());
    return std::move(*m);
}

} // namespace

/* Graph builders ---------------------------------------------------------- */

Test(graph, generate_counts_ranks_and_ids)
{
    Graph g = gen("cluster[1]->rack[2]->node[3]->socket[2]->core[4],gpu[1],memory[16G]");
    Planner p(g);
    const struct {
        const char *type;
        int64_t total;
    } want[] = {{"cluster", 1}, {"rack", 2}, {"node", 6}, {"socket", 12},
                {"core", 48},   {"gpu", 12}, {"memory", 12 * 16}};
    for (const auto &w : want) {
        int t = g.type_index(w.type);
        cr_assert(t >= 0, "%s", w.type);
        cr_expect_eq(p.total(0, (uint16_t)t), w.total, "%s: %ld", w.type, (long)p.total(0, (uint16_t)t));
    }
    cr_expect_eq(g.hosts().size(), 6u);
    /* Cores of rank 5 are numbered 0-7 over both sockets; nodes by rank. */
    int core = g.type_index("core");
    cr_expect(g.find_in_host(5, (uint16_t)core, 7) >= 0);
    cr_expect(g.find_in_host(5, (uint16_t)core, 8) < 0);
    cr_expect_eq(g.name(g.host_of(4)), "node4");
    cr_expect_eq(g.path(g.host_of(4)), "/cluster0/rack1/node4");
    cr_expect_eq(g.type_unit((uint16_t)g.type_index("memory")), "GB");
}

Test(graph, generate_errors)
{
    const struct {
        const char *spec, *err;
    } cases[] = {
        {"", "expected TYPE[COUNT]"},
        {"node[0]", "count must be a positive integer"},
        {"node[x]", "count must be a positive integer"},
        {"node[2]->core", "expected TYPE[COUNT]"},
        {"node[2]->memory[4Q]", "unknown unit 'Q'"},
        {"no de[2]", "bad type name"},
        {"node[100000]->core[100000]", "more than 50 million"},
    };
    for (const auto &c : cases) {
        auto g = Graph::generate(c.spec);
        cr_assert(!g.has_value(), "%s should fail", c.spec);
        cr_expect(g.error().text.find(c.err) != std::string::npos, "%s: got '%s'", c.spec,
                  g.error().text.c_str());
    }
}

Test(graph, R_with_JGF_round_trip)
{
    Graph g = gen("cluster[1]->rack[2]->node[2]->socket[2]->core[2],gpu[1]");
    auto R = g.to_R();
    cr_assert(R.has_value());
    auto g2 = Graph::from_json(R->get());
    cr_assert(g2.has_value(), "%s", g2 ? "" : g2.error().text.c_str());
    cr_expect_eq(g2->size(), g.size());
    cr_expect_eq(g2->hosts().size(), 4u);
    cr_expect_eq(g2->path(g2->host_of(3)), "/cluster0/rack1/node3");
    /* R alone (no JGF): cluster -> node -> core/gpu. */
    json_object_del(R->get(), "scheduling");
    auto g3 = Graph::from_json(R->get());
    cr_assert(g3.has_value());
    cr_expect_eq(g3->size(), 1u + 4u + 4u * 4u + 4u * 2u);
    cr_expect_eq(g3->type_index("rack"), -1);
}

/* R is written as text (vertex fragments kept between allocations):
 * strings quoted by jansson, sizes and status written each time, and
 * the text exactly what jansson would print of the same object. */
Test(graph, R_text_quotes_and_writes_what_varies)
{
    const char *jgf =
        "{\"graph\": {\"nodes\": ["
        "{\"id\": \"0\", \"metadata\": {\"type\": \"cluster\", \"name\": \"c\\\"0\"}},"
        "{\"id\": \"1\", \"metadata\": {\"type\": \"node\", \"name\": \"n\\\\0\u00e9\", "
        "\"rank\": 0, \"properties\": {\"p\u00e9\": \"\"}}},"
        "{\"id\": \"2\", \"metadata\": {\"type\": \"core\", \"id\": 0, \"rank\": 0}},"
        "{\"id\": \"3\", \"metadata\": {\"type\": \"memory\", \"id\": 0, \"rank\": 0, "
        "\"size\": 16, \"unit\": \"GB\"}}],"
        "\"edges\": [{\"source\": \"0\", \"target\": \"1\"}, {\"source\": \"1\", \"target\": "
        "\"2\"}, {\"source\": \"1\", \"target\": \"3\"}]}}";
    json_error_t e;
    json_t *o = json_loads(jgf, 0, &e);
    cr_assert(o, "%s", e.text);
    auto g = Graph::from_json(o);
    json_decref(o);
    cr_assert(g.has_value(), "%s", g ? "" : g.error().text.c_str());
    auto same_as_jansson = [](const std::string &text) {
        json_error_t err;
        json_t *j = json_loads(text.c_str(), 0, &err);
        cr_assert(j, "not JSON (%s): %s", err.text, text.c_str());
        char *again = json_dumps(j, JSON_COMPACT);
        cr_expect_str_eq(again, text.c_str());
        free(again);
        json_decref(j);
    };
    /* The whole graph, then two allocations of the node's memory. */
    auto whole = g->R_text();
    cr_assert(whole.has_value(), "%s", whole ? "" : whole.error().text.c_str());
    same_as_jansson(*whole);
    cr_expect(whole->find("\"name\":\"n\\\\0\u00e9\"") != std::string::npos, "%s",
              whole->c_str());
    cr_expect(whole->find("\"properties\":{\"p\u00e9\":\"\"}") != std::string::npos, "%s",
              whole->c_str());
    int32_t mem = 3;
    std::vector<int32_t> subset{2, mem};
    std::vector<int64_t> eight{1, 8}, four{1, 4};
    auto a = g->R_text(&subset, &eight, 10, 20);
    auto b = g->R_text(&subset, &four, 10, 0);
    cr_assert(a.has_value() && b.has_value());
    same_as_jansson(*a);
    same_as_jansson(*b);
    cr_expect(a->find("\"unit\":\"GB\"") != std::string::npos, "%s", a->c_str());
    cr_expect(a->find("\"size\":8,") != std::string::npos, "%s", a->c_str());
    cr_expect(b->find("\"size\":4,") != std::string::npos, "%s", b->c_str());
    cr_expect(a->find("\"expiration\":20") != std::string::npos, "%s", a->c_str());
    cr_expect(b->find("\"status\"") == std::string::npos, "%s", b->c_str());
    /* A node that went down says so in the next R written. */
    g->at(1).status = Status::down;
    auto c = g->R_text(&subset, &four);
    cr_assert(c.has_value());
    same_as_jansson(*c);
    cr_expect(c->find("\"status\":\"down\"") != std::string::npos, "%s", c->c_str());
    /* What sched-query and restarts read back: the same graph. */
    json_t *Rj = json_loads(whole->c_str(), 0, nullptr);
    auto g2 = Graph::from_json(Rj);
    json_decref(Rj);
    cr_assert(g2.has_value(), "%s", g2 ? "" : g2.error().text.c_str());
    cr_expect_eq(g2->name(g2->host_of(0)), g->name(g->host_of(0)));
}

Test(graph, bad_jgf)
{
    const struct {
        const char *json, *err;
    } cases[] = {
        {"{\"graph\": 1}", "expected an object with a \"graph\" object"},
        {"{\"graph\": {\"nodes\": []}}", "graph.nodes: expected a non-empty array"},
        {"{\"graph\": {\"nodes\": [{\"id\": \"0\"}]}}", "graph.nodes[0].metadata: expected an object"},
        {"{\"graph\": {\"nodes\": [{\"id\": \"0\", \"metadata\": {}}]}}", "graph.nodes[0].metadata"},
        {"{\"graph\": {\"nodes\": [{\"id\": \"0\", \"metadata\": {\"type\": \"a\"}},"
         "{\"id\": \"1\", \"metadata\": {\"type\": \"b\"}}]}}",
         "two roots"},
        {"{\"graph\": {\"nodes\": [{\"id\": \"0\", \"metadata\": {\"type\": \"a\"}}],"
         "\"edges\": [{\"source\": \"0\", \"target\": \"9\"}]}}",
         "graph.edges[0].target: no vertex '9'"},
        {"{\"graph\": {\"nodes\": [{\"id\": \"0\", \"metadata\": {\"type\": \"a\", \"size\": 0}}]}}",
         "size: must be >= 1"},
    };
    for (const auto &c : cases) {
        json_error_t e;
        json_t *o = json_loads(c.json, 0, &e);
        cr_assert(o, "%s", c.json);
        auto g = Graph::from_json(o);
        json_decref(o);
        cr_assert(!g.has_value(), "%s should fail", c.json);
        cr_expect(g.error().text.find(c.err) != std::string::npos, "%s: got '%s'", c.json,
                  g.error().text.c_str());
    }
}

/* Planner ------------------------------------------------------------------ */

Test(planner, spans_and_aggregates)
{
    Graph g = gen("cluster[1]->node[2]->core[4]");
    Planner p(g);
    uint16_t core = (uint16_t)g.type_index("core");
    int32_t n1 = g.host_of(1);
    int32_t c = g.find_in_host(1, core, 2);
    Alloc a;
    a.running = true;
    a.start = 0;
    a.end = 100;
    a.items = {{c, 1}};
    cr_assert(p.add(7, a).has_value());
    cr_expect_eq(p.free_now(0, core), 7);
    cr_expect_eq(p.free_now(n1, core), 3);
    auto again = p.add(7, a);
    cr_expect(!again.has_value() && again.error().errnum == EEXIST);
    auto busy = p.add(8, a);
    cr_expect(!busy.has_value() && busy.error().errnum == EBUSY);
    cr_expect(busy.error().text.find("/cluster0/node1/core2 is already allocated") == 0, "%s",
              busy.error().text.c_str());
    /* A reservation does not change what is free now. */
    Alloc r = a;
    r.running = false;
    r.start = 100;
    r.end = 200;
    cr_assert(p.add(9, r).has_value());
    cr_expect_eq(p.free_now(0, core), 7);
    cr_expect_eq(p.ends_after(0), (std::vector<double>{100, 200}));
    p.clear_reservations();
    cr_expect(p.find(9) == nullptr);
    cr_assert(p.remove(7).has_value());
    cr_expect_eq(p.free_now(0, core), 8);
    cr_expect(p.remove(7).error().errnum == ENOENT);
    /* Down hosts do not count from above; allocations there stay local. */
    cr_assert(p.set_status(1, Status::down));
    cr_expect_eq(p.free_now(0, core), 4);
    cr_assert(p.add(10, a).has_value());
    cr_expect_eq(p.free_now(0, core), 4);
    cr_expect_eq(p.free_now(n1, core), 3);
    cr_assert(p.set_status(1, Status::up));
    cr_expect_eq(p.free_now(0, core), 7);
    cr_expect(!p.set_status(5, Status::down));
}

/* Reservations: the whole-graph use timeline (Planner::usage) lets
 * allocate_orelse_reserve skip the times at which too little is free
 * anywhere in the job's window; the times found are the earliest ones. */
Test(planner, reservations_use_the_usage_timeline)
{
    Graph g = gen("cluster[1]->node[4]->core[4]");
    Planner p(g);
    auto pol = policy_create("first");
    uint16_t node = (uint16_t)g.type_index("node");
    auto nodes = [&](int n, double dur) {
        return req(g, js("[{type: node, count: " + std::to_string(n)
                             + ", exclusive: true, with: [{type: slot, count: 1, label: s, "
                               "with: [{type: core, count: 1}]}]}]",
                         dur));
    };
    /* Now: nodes 0-1 until 10, node 2 until 20, node 3 until 30. */
    Request two10 = nodes(2, 10), one20 = nodes(1, 20), one30 = nodes(1, 30);
    cr_expect(!must_match(p, *pol, two10, Op::allocate, 1).reserved);
    cr_expect(!must_match(p, *pol, one20, Op::allocate, 2).reserved);
    cr_expect(!must_match(p, *pol, one30, Op::allocate, 3).reserved);
    cr_expect_eq(p.usage(node), (std::vector<std::pair<double, int64_t>>{
                                    {0, 4}, {10, 2}, {20, 1}, {30, 0}}));
    /* All four nodes: only once the last ends. */
    MatchResult all = must_match(p, *pol, nodes(4, 5), Op::allocate_orelse_reserve, 4);
    cr_expect(all.reserved);
    cr_expect_eq(all.at, 30);
    /* Two nodes for 5: at 10, before the whole-cluster reservation. */
    MatchResult early = must_match(p, *pol, nodes(2, 5), Op::allocate_orelse_reserve, 5);
    cr_expect_eq(early.at, 10);
    /* One node for 25 overlaps the reservation at 30 from 10, 15 and 20
     * on: after it, at 35. */
    MatchResult late = must_match(p, *pol, nodes(1, 25), Op::allocate_orelse_reserve, 6);
    cr_expect_eq(late.at, 35);
    cr_expect_eq(p.usage(node).back(), (std::pair<double, int64_t>{60, 0}));
    /* Removing a reservation removes its use. */
    p.clear_reservations();
    cr_expect_eq(p.usage(node), (std::vector<std::pair<double, int64_t>>{
                                    {0, 4}, {10, 2}, {20, 1}, {30, 0}}));
}

/* Matching ----------------------------------------------------------------- */

Test(match, racks_by_nodes_land_exactly)
{
    Graph g = gen("cluster[1]->rack[3]->node[4]->socket[2]->core[4]");
    Planner p(g);
    auto pol = policy_create("first");
    Request r = req(g, js("[{type: rack, count: 2, with: [{type: node, count: 3, with: "
                          "[{type: slot, count: 1, label: s, with: [{type: core, count: 2}]}]}]}]"));
    MatchResult m = must_match(p, *pol, r, Op::allocate, 1);
    Summary s = summarize(g, m.alloc);
    cr_expect_eq(s.ranks.size(), 6u);
    cr_expect_eq(s.per_rack.size(), 2u);
    for (auto [rack, n] : s.per_rack)
        cr_expect_eq(n, 3, "rack %d: %d nodes", rack, n);
    cr_expect_eq(s.count["core"], 12);
    /* A whole-node, exclusive version: every core of each node. */
    Request x = req(g, js("[{type: rack, count: 1, with: [{type: node, count: 2, exclusive: true, "
                          "with: [{type: slot, count: 1, label: s, with: [{type: core, count: 1}]}]}]}]"));
    MatchResult mx = must_match(p, *pol, x, Op::allocate, 2);
    Summary sx = summarize(g, mx.alloc);
    cr_expect_eq(sx.ranks.size(), 2u);
    cr_expect_eq(sx.count["core"], 16);
    cr_expect_eq(sx.count["node"], 2);
}

Test(match, slots_above_node_and_counts)
{
    Graph g = gen("cluster[1]->node[4]->core[2]");
    Planner p(g);
    auto pol = policy_create("first");
    /* slot[2] -> node[1] -> core[2]: two slots each holding a whole node. */
    Request r = req(g, js("[{type: slot, count: 2, label: s, with: [{type: node, count: 1, "
                          "with: [{type: core, count: 2}]}]}]"));
    Summary s = summarize(g, must_match(p, *pol, r, Op::allocate, 1).alloc);
    cr_expect_eq(s.ranks, (std::set<int32_t>{0, 1}));
    cr_expect_eq(s.count["core"], 4);
    /* A range: node[1-4] gets what is left (2), core in slots. */
    Request range = req(g, js("[{type: node, count: {min: 1, max: 4}, with: [{type: slot, "
                              "count: 1, label: s, with: [{type: core, count: 1}]}]}]"));
    Summary s2 = summarize(g, must_match(p, *pol, range, Op::allocate, 2).alloc);
    cr_expect_eq(s2.ranks, (std::set<int32_t>{2, 3}));
    cr_expect_eq(count_fit(range.top[0], 3), 3u);
    ReqNode even;
    even.min = 2;
    even.max = 8;
    even.op = '+';
    even.operand = 2;
    cr_expect_eq(count_fit(even, 7), 6u);
    cr_expect_eq(count_fit(even, 1), 0u);
    even.op = '*';
    cr_expect_eq(count_fit(even, 7), 4u);
}

Test(match, top_level_slots_pack_on_hosts)
{
    Graph g = gen("cluster[1]->node[2]->socket[2]->core[2]");
    Planner p(g);
    auto pol = policy_create("first");
    Request r = req(g, js("[{type: slot, count: 3, label: s, with: [{type: core, count: 2}]}]"));
    Summary s = summarize(g, must_match(p, *pol, r, Op::allocate, 1).alloc);
    cr_expect_eq(s.count["core"], 6);
    cr_expect_eq(s.ranks, (std::set<int32_t>{0, 1}));
    /* A slot never spans hosts: 3 cores per slot cannot fit in what is left (2 on rank 1). */
    Request big = req(g, js("[{type: slot, count: 1, label: s, with: [{type: core, count: 3}]}]"));
    auto m = match(p, *pol, big, Op::allocate, 2, 0);
    cr_expect(!m.has_value() && m.error().errnum == ENOSPC, "%s", m ? "" : m.error().text.c_str());
}

Test(match, gpus_and_memory_units)
{
    Graph g = gen("cluster[1]->node[2]->socket[1]->core[4],gpu[2],memory[16G]");
    Planner p(g);
    auto pol = policy_create("first");
    Request r = req(g, js("[{type: node, count: 1, with: [{type: slot, count: 1, label: s, with: "
                          "[{type: core, count: 2}, {type: gpu, count: 1}, "
                          "{type: memory, count: 8192, unit: MB}]}]}]"));
    MatchResult m = must_match(p, *pol, r, Op::allocate, 1);
    Summary s = summarize(g, m.alloc);
    cr_expect_eq(s.count["gpu"], 1);
    cr_expect_eq(s.count["memory"], 8);
    /* Memory in the planner: 16 - 8 left on node0, the next 12G goes to node1. */
    Request r12 = req(g, js("[{type: node, count: 1, with: [{type: slot, count: 1, label: s, "
                            "with: [{type: memory, count: 12, unit: GB}]}]}]"));
    Summary s2 = summarize(g, must_match(p, *pol, r12, Op::allocate, 2).alloc);
    cr_expect_eq(s2.ranks, (std::set<int32_t>{1}));
    /* R: cores and gpus per rank, the JGF has the memory amount. */
    auto R = alloc_to_R(g, m.alloc);
    cr_assert(R.has_value());
    char *text = json_dumps(R->get(), JSON_COMPACT);
    cr_expect(strstr(text, "\"R_lite\":[{\"rank\":\"0\",\"children\":{\"core\":\"0-1\",\"gpu\":\"0\"}}]"),
              "%s", text);
    cr_expect(strstr(text, "\"type\":\"memory\"") && strstr(text, "\"size\":8"), "%s", text);
    free(text);
    /* And back (restart): the same vertices and amounts. */
    auto back = alloc_from_R(g, R->get());
    cr_assert(back.has_value(), "%s", back ? "" : back.error().text.c_str());
    cr_expect_eq(back->items.size(), m.alloc.items.size());
}

Test(match, constraints)
{
    Graph g = gen("cluster[1]->node[4]->core[2]");
    /* Properties come from JGF/R; give node1 and node3 "big" through a round trip. */
    auto R = g.to_R();
    json_t *props = json_pack("{s:s}", "big", "1,3");
    json_object_set_new(json_object_get(R->get(), "execution"), "properties", props);
    json_object_del(R->get(), "scheduling");
    auto g2 = Graph::from_json(R->get());
    cr_assert(g2.has_value(), "%s", g2 ? "" : g2.error().text.c_str());
    Planner p(*g2);
    auto pol = policy_create("first");
    const struct {
        const char *cons;
        std::set<int32_t> ranks;
    } cases[] = {
        {"{properties: [big]}", {1}},
        {"{properties: [\"^big\"]}", {0}},
        {"{hostlist: [\"node[2-3]\"]}", {2}},
        {"{ranks: [\"3\"]}", {3}},
        {"{or: [{ranks: [\"3\"]}, {hostlist: [node2]}]}", {2}},
        {"{not: [{ranks: [\"0-2\"]}]}", {3}},
        {"{and: [{properties: [big]}, {not: [{ranks: [\"1\"]}]}]}", {3}},
    };
    uint64_t id = 1;
    for (const auto &c : cases) {
        Request r = req(*g2, js("[{type: node, count: 1, with: [{type: slot, count: 1, label: s, "
                                "with: [{type: core, count: 1}]}]}]",
                                0, std::string(", constraints: ") + c.cons));
        Summary s = summarize(*g2, must_match(p, *pol, r, Op::allocate, id).alloc);
        cr_expect_eq(s.ranks, c.ranks, "%s", c.cons);
        (void)p.remove(id++);
    }
    auto bad = constraint_parse(json_pack("{s:[s]}", "colour", "red"));
    cr_expect(!bad.has_value() && bad.error().text == "constraints: unknown operator 'colour'");
}

/* R_lite plus resource.acquire's hwloc topology: sockets with their cores
 * and a memory pool; socket and memory requests match; bad topology fails. */
Test(graph, R_with_hwloc_sockets)
{
    Graph base = gen("cluster[1]->node[2]->core[4]");
    auto R = base.to_R();
    json_object_del(R->get(), "scheduling");
    json_error_t jerr;
    json_t *topo = json_loads(R"({"0": {"sockets": [{"cores": "0-1", "memory": 2147483648},
        {"cores": "2-3", "memory": 2147483648}]}})", 0, &jerr);
    cr_assert_not_null(topo);
    auto g = Graph::from_json(R->get(), topo);
    cr_assert(g.has_value(), "%s", g ? "" : g.error().text.c_str());
    /* cluster, 2 nodes, 8 cores, rank 0's 2 sockets and 2 memory pools. */
    cr_expect_eq(g->size(), 1u + 2 + 8 + 2 + 2);
    int sock_t = g->type_index("socket"), mem_t = g->type_index("memory");
    cr_assert(sock_t >= 0 && mem_t >= 0);
    int32_t s1 = -1;
    for (size_t v = 0; v < g->size(); v++) {
        if ((*g)[(int32_t)v].type == sock_t && (*g)[(int32_t)v].id == 1)
            s1 = (int32_t)v;
    }
    cr_assert(s1 >= 0);
    int cores_in_s1 = 0;
    for (int32_t x = s1 + 1; x < (*g)[s1].end; x++) {
        if (g->type_name((*g)[x].type) == "core") {
            cr_expect((*g)[x].id == 2 || (*g)[x].id == 3);
            cores_in_s1++;
        }
        if ((*g)[x].type == mem_t)
            cr_expect_eq((*g)[x].size, 2048);
    }
    cr_expect_eq(cores_in_s1, 2);
    Planner p(*g);
    auto pol = policy_create("first");
    Request r = req(*g, js("[{type: node, count: 1, with: [{type: socket, count: 2, with: "
                           "[{type: slot, count: 1, label: s, with: [{type: core, count: 2}, "
                           "{type: memory, count: 1, unit: GB}]}]}]}]"));
    Summary sm = summarize(*g, must_match(p, *pol, r, Op::allocate, 1).alloc);
    cr_expect_eq(sm.ranks, (std::set<int32_t>{0}));
    cr_expect_eq(sm.count["core"], 4);
    cr_expect_eq(sm.count["memory"], 2048);
    json_decref(topo);
    topo = json_loads(R"({"0": {"sockets": [{"cores": "x"}]}})", 0, &jerr);
    auto bad = Graph::from_json(R->get(), topo);
    cr_expect(!bad.has_value()
              && bad.error().text.find("topology: rank 0: expected sockets") != std::string::npos);
    json_decref(topo);
}

/* variation: node-level requests on shared nodes go to the emptiest node. */
Test(match, variation_spreads_node_requests)
{
    Graph g = gen("cluster[1]->rack[2]->node[2]->core[4]");
    Planner p(g);
    auto pol = policy_create("variation");
    Request one = req(g, js("[{type: node, count: 1, with: [{type: slot, count: 1, label: s, "
                            "with: [{type: core, count: 1}]}]}]"));
    std::set<int32_t> used;
    for (uint64_t id = 1; id <= 4; id++)
        for (int32_t r : summarize(g, must_match(p, *pol, one, Op::allocate, id).alloc).ranks)
            used.insert(r);
    cr_expect_eq(used, (std::set<int32_t>{0, 1, 2, 3}));
}

/* A constraint no node satisfies is named in the error. */
Test(match, unsatisfiable_constraint_is_named)
{
    Graph g = gen("cluster[1]->node[4]->core[2]");
    Planner p(g);
    auto pol = policy_create("first");
    const struct {
        const char *cons;
        const char *error;
    } cases[] = {
        {"{and: [{ranks: [\"0-1\"]}, {hostlist: [\"node9\"]}]}",
         "unsatisfiable request: no node satisfies the constraint 'host:node9'"},
        {"{properties: [gpu]}", "unsatisfiable request: no node satisfies the constraint 'gpu'"},
        {"{not: [{ranks: [\"0-3\"]}]}",
         "unsatisfiable request: no node satisfies the constraint '-rank:0-3'"},
    };
    for (const auto &c : cases) {
        Request r = req(g, js("[{type: node, count: 1, with: [{type: slot, count: 1, label: s, "
                              "with: [{type: core, count: 1}]}]}]",
                              0, std::string(", constraints: ") + c.cons));
        auto m = match(p, *pol, r, Op::satisfiability, 0, 0);
        cr_assert(!m.has_value(), "%s", c.cons);
        cr_expect_eq(m.error().errnum, EOVERFLOW);
        cr_expect_str_eq(m.error().text.c_str(), c.error, "%s", c.cons);
    }
}

Test(match, policies)
{
    Graph g = gen("cluster[1]->rack[2]->node[4]->core[4]");
    std::string one = js("[{type: node, count: 1, with: [{type: slot, count: 1, label: s, with: "
                         "[{type: core, count: 1}]}]}]");
    const struct {
        const char *policy;
        int32_t rank;
    } cases[] = {{"first", 0}, {"low", 0}, {"high", 7}, {"lonode", 0}, {"hinode", 7}};
    for (const auto &c : cases) {
        Planner p(g);
        auto pol = policy_create(c.policy);
        cr_assert(pol);
        Summary s = summarize(g, must_match(p, *pol, req(g, one), Op::allocate, 1).alloc);
        cr_expect_eq(s.ranks, (std::set<int32_t>{c.rank}), "%s", c.policy);
    }
    cr_expect(policy_create("nope") == nullptr);
    /* locality: a 3-node job goes into the rack that holds 3 free nodes
     * best (rack1 has 3 free, rack0 4): rack 1. */
    Planner p(g);
    auto first = policy_create("first");
    auto loc = policy_create("locality");
    Request whole = req(g, js("[{type: node, count: 1, exclusive: true, with: [{type: slot, "
                              "count: 1, label: s, with: [{type: core, count: 1}]}]}]"));
    MatchResult hold = must_match(p, *first, whole, Op::allocate, 1);
    (void)p.remove(1);
    /* occupy node4 (rack1) */
    Request on4 = req(g, js("[{type: node, count: 1, exclusive: true, with: [{type: slot, count: 1, "
                            "label: s, with: [{type: core, count: 1}]}]}]",
                            0, ", constraints: {ranks: [\"4\"]}"));
    must_match(p, *first, on4, Op::allocate, 2);
    Request three = req(g, js("[{type: node, count: 3, exclusive: true, with: [{type: slot, "
                              "count: 1, label: s, with: [{type: core, count: 1}]}]}]"));
    Summary s = summarize(g, must_match(p, *loc, three, Op::allocate, 3).alloc);
    cr_expect_eq(s.ranks, (std::set<int32_t>{5, 6, 7}));
    Summary sf = summarize(g, must_match(p, *first, three, Op::allocate, 4).alloc);
    cr_expect_eq(sf.ranks, (std::set<int32_t>{0, 1, 2}));
    (void)hold;
}

/* Satisfiability settles a request for every untouched host of the same
 * shape at once: hosts that differ only in a size must not be taken for
 * one another, and a host this match already used is walked again. */
Test(match, satisfiability_by_host_shape)
{
    /* A cluster of nodes, each with CORES[i] cores and MEM[i] GB. */
    auto build = [](std::vector<std::pair<int, int64_t>> hosts) {
        std::string nodes = "{\"id\": \"0\", \"metadata\": {\"type\": \"cluster\"}}", edges;
        int next = 1;
        auto vertex = [&](const std::string &md, int parent) {
            std::string id = std::to_string(next++);
            nodes += ",{\"id\": \"" + id + "\", \"metadata\": {" + md + "}}";
            edges += std::string(edges.empty() ? "" : ",") + "{\"source\": \""
                     + std::to_string(parent) + "\", \"target\": \"" + id + "\"}";
            return next - 1;
        };
        for (size_t i = 0; i < hosts.size(); i++) {
            std::string rank = std::to_string(i);
            int n = vertex("\"type\": \"node\", \"id\": " + rank + ", \"rank\": " + rank, 0);
            for (int c = 0; c < hosts[i].first; c++)
                vertex("\"type\": \"core\", \"id\": " + std::to_string(c) + ", \"rank\": " + rank, n);
            vertex("\"type\": \"memory\", \"rank\": " + rank + ", \"size\": "
                       + std::to_string(hosts[i].second) + ", \"unit\": \"GB\"",
                   n);
        }
        std::string jgf = "{\"graph\": {\"nodes\": [" + nodes + "], \"edges\": [" + edges + "]}}";
        json_t *o = json_loads(jgf.c_str(), 0, nullptr);
        cr_assert(o, "%s", jgf.c_str());
        auto g = Graph::from_json(o);
        json_decref(o);
        cr_assert(g.has_value(), "%s", g ? "" : g.error().text.c_str());
        return std::move(*g);
    };
    auto pol = policy_create("first");
    /* Shapes that differ only in a size are not taken for one another:
     * only rank 2 has 16 GB. */
    Graph g = build({{1, 8}, {1, 8}, {1, 32}, {1, 8}});
    cr_expect_eq(g.host_shape(g.host_of(0)), g.host_shape(g.host_of(1)));
    cr_expect_neq(g.host_shape(g.host_of(0)), g.host_shape(g.host_of(2)));
    Planner p(g);
    must_match(p, *pol,
               req(g, js("[{type: node, count: 1, with: [{type: slot, count: 1, label: s, with: "
                         "[{type: memory, count: 16, unit: GB}]}]}]")),
               Op::satisfiability, 0);
    auto m = match(p, *pol, req(g, js("[{type: node, count: 1, with: [{type: slot, count: 1, "
                                      "label: s, with: [{type: memory, count: 40, unit: GB}]}]}]")),
                   Op::satisfiability, 0, 0);
    cr_expect(!m.has_value() && m.error().errnum == EOVERFLOW);
    /* A host this match already used is no sample of its shape: the
     * second two-core node request fails on rank 0 (taken by the first)
     * and fits on rank 1, of the same shape. */
    Graph g2 = build({{2, 8}, {2, 8}, {1, 8}});
    Planner p2(g2);
    auto two = [](const char *label) {
        return std::string("{type: node, count: 1, with: [{type: slot, count: 1, label: ") + label
               + ", with: [{type: core, count: 2}]}]}";
    };
    must_match(p2, *pol, req(g2, js("[" + two("s") + ", " + two("t") + "]")), Op::satisfiability,
               0);
}

Test(match, unsatisfiable_names_the_short_resource)
{
    Graph g = gen("cluster[1]->rack[2]->node[2]->core[4]");
    Planner p(g);
    auto pol = policy_create("first");
    const struct {
        const char *res, *err;
    } cases[] = {
        {"[{type: node, count: 5, with: [{type: slot, count: 1, label: s, with: [{type: core, "
         "count: 1}]}]}]",
         "unsatisfiable request: 5 nodes requested, 4 in the graph"},
        {"[{type: node, count: 1, with: [{type: slot, count: 1, label: s, with: [{type: core, "
         "count: 5}]}]}]",
         "unsatisfiable request: 1 node requested, at most 0 can be found"},
        {"[{type: rack, count: 1, with: [{type: node, count: 3, with: [{type: slot, count: 1, "
         "label: s, with: [{type: core, count: 1}]}]}]}]",
         "unsatisfiable request: 1 rack requested, at most 0 can be found (each needs 3 nodes, "
         "at most 2 found together)"},
        {"[{type: node, count: 1, with: [{type: slot, count: 1, label: s, with: [{type: gpu, "
         "count: 1}]}]}]",
         "unsatisfiable request: the graph has no resource of type 'gpu'"},
    };
    for (const auto &c : cases) {
        auto m = match(p, *pol, req(g, js(c.res)), Op::satisfiability, 0, 0);
        cr_assert(!m.has_value(), "%s", c.res);
        cr_expect_eq(m.error().errnum, EOVERFLOW);
        cr_expect(m.error().text.find(c.err) == 0, "got '%s'", m.error().text.c_str());
    }
    /* Satisfiability ignores what is allocated and down. */
    std::string all = js("[{type: node, count: 4, exclusive: true, with: [{type: slot, count: 1, "
                         "label: s, with: [{type: core, count: 1}]}]}]");
    must_match(p, *pol, req(g, all), Op::allocate, 1);
    p.set_status(2, Status::drained);
    must_match(p, *pol, req(g, all), Op::satisfiability, 0);
    auto now = match(p, *pol, req(g, all), Op::allocate, 2, 0);
    cr_expect(!now.has_value() && now.error().errnum == ENOSPC);
}

Test(match, reserve_earliest_and_backfill)
{
    Graph g = gen("cluster[1]->node[4]->core[2]");
    Planner p(g);
    auto pol = policy_create("first");
    auto nodes = [&](int n, double d) {
        return req(g, js("[{type: node, count: " + std::to_string(n)
                             + ", exclusive: true, with: [{type: slot, count: 1, label: s, with: "
                               "[{type: core, count: 1}]}]}]",
                         d));
    };
    must_match(p, *pol, nodes(2, 100), Op::allocate, 1);  // nodes 0-1 until 100
    must_match(p, *pol, nodes(1, 50), Op::allocate, 2);   // node 2 until 50
    /* 4 nodes: not now, reserved at 100 (when job 1 ends). */
    auto none = match(p, *pol, nodes(4, 10), Op::allocate, 3, 0);
    cr_expect(!none.has_value() && none.error().errnum == ENOSPC);
    MatchResult r = must_match(p, *pol, nodes(4, 10), Op::allocate_orelse_reserve, 3);
    cr_expect(r.reserved);
    cr_expect_eq(r.at, 100.0);
    /* Backfill: 1 node for 200s would delay the reservation: not now. */
    auto late = match(p, *pol, nodes(1, 200), Op::allocate, 4, 0);
    cr_expect(!late.has_value() && late.error().errnum == ENOSPC);
    /* 1 node for 90s ends before it: starts now on node 3. */
    MatchResult bf = must_match(p, *pol, nodes(1, 90), Op::allocate, 5);
    cr_expect(!bf.reserved);
    cr_expect_eq(summarize(g, bf.alloc).ranks, (std::set<int32_t>{3}));
    /* Without a duration a job holds forever: nothing after it fits. */
    must_match(p, *pol, nodes(1, 0), Op::allocate_orelse_reserve, 6);
    auto never = match(p, *pol, nodes(4, 10), Op::allocate_orelse_reserve, 7, 0);
    cr_expect(!never.has_value() && never.error().errnum == EBUSY);
    /* Early completion frees the span. */
    cr_assert(p.remove(1).has_value());
    cr_expect(p.find(1) == nullptr);
}

Test(match, large_graph_first_fit_is_local)
{
    /* 4,096 nodes: a 1-node match visits a handful of vertices; many in a
     * row keep working as the graph fills (aggregates prune full racks). */
    Graph g = gen("cluster[1]->rack[64]->node[64]->socket[2]->core[18],gpu[4],memory[256G]");
    Planner p(g);
    auto pol = policy_create("first");
    Request one = req(g, js("[{type: node, count: 1, exclusive: true, with: [{type: slot, "
                            "count: 1, label: s, with: [{type: core, count: 36}]}]}]"));
    for (uint64_t id = 1; id <= 4096; id++)
        must_match(p, *pol, one, Op::allocate, id);
    auto full = match(p, *pol, one, Op::allocate, 5000, 0);
    cr_expect(!full.has_value() && full.error().errnum == ENOSPC);
    cr_expect_eq(p.free_now(0, (uint16_t)g.type_index("core")), 0);
}
