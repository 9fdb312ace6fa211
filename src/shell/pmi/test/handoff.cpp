/* pmi/test/handoff.cpp - Criterion tests for the PMIx thread to shell
 * loop hand-off: closures posted from other threads run on the loop's
 * thread, each once, in the order each thread posted them; drain() runs
 * what is queued without the loop; start() errors are reported. */
#include <criterion/criterion.h>

#include <atomic>
#include <thread>
#include <vector>

#include <event2/event.h>

#include "shell/pmi/handoff.h"

using flux::shell::pmi::Handoff;

namespace {

struct Run {
    struct event_base *base;
    std::thread::id loop_thread;
    int expected;
    int ran = 0;
    bool wrong_thread = false;
    std::vector<int> last{-1, -1, -1, -1}; /* per poster: last seq seen */
    bool out_of_order = false;
};

} // namespace

Test(handoff, closures_from_threads_run_on_the_loop_in_order)
{
    struct event_base *base = event_base_new();
    cr_assert(base);
    Handoff h;
    cr_assert(h.start(base));
    Run run{base, std::this_thread::get_id(), 4 * 500};
    std::vector<std::thread> posters;
    for (int p = 0; p < 4; p++)
        posters.emplace_back([&h, &run, p]() {
            for (int i = 0; i < 500; i++)
                h.post([&run, p, i]() {
                    if (std::this_thread::get_id() != run.loop_thread)
                        run.wrong_thread = true;
                    if (run.last[(size_t)p] != i - 1)
                        run.out_of_order = true;
                    run.last[(size_t)p] = i;
                    if (++run.ran == run.expected)
                        event_base_loopbreak(run.base);
                });
        });
    struct timeval limit = {10, 0};
    struct event *timeout = evtimer_new(
        base, [](evutil_socket_t, short, void *b) { event_base_loopbreak((struct event_base *)b); },
        base);
    evtimer_add(timeout, &limit);
    event_base_dispatch(base);
    for (auto &t : posters)
        t.join();
    h.drain(); /* anything posted after the loop stopped */
    cr_assert_eq(run.ran, run.expected, "ran %d of %d", run.ran, run.expected);
    cr_assert_not(run.wrong_thread);
    cr_assert_not(run.out_of_order);
    event_free(timeout);
    event_base_free(base);
}

Test(handoff, drain_runs_what_is_queued_without_the_loop)
{
    struct event_base *base = event_base_new();
    Handoff h;
    cr_assert(h.start(base));
    int n = 0;
    h.post([&n]() { n++; });
    h.post([&n]() { n += 10; });
    h.drain();
    cr_assert_eq(n, 11);
    h.drain();
    cr_assert_eq(n, 11, "a closure ran twice");
    event_base_free(base);
}
