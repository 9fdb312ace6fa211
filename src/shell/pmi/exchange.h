/* exchange.h - the job's shells exchange a JSON object, all to all.
 *
 * Used by PMI-1 barriers (and the PMIx fence): each shell contributes an
 * object (its tasks' puts since the last exchange); every shell gets the
 * union.  The shells of one job form a k-ary tree over their node ids
 * (parent of node i is (i-1)/k, k = 2): a shell waits for its own
 * contribution and its children's, merges them and sends the result up as
 * a request to its parent ("pmi-<jobid>.exchange" at the parent's broker
 * rank); the root answers its children with the union and each shell
 * answers its own children with it.  A fence therefore costs O(log nodes)
 * hops each way and one request per shell, whatever the task count.
 *
 * The service "<name>-<jobid>" ("pmi-<jobid>" for PMI-1) is registered with this shell's broker on the
 * first exchange (a single-node job never registers it): a child that
 * reaches its parent before the parent registered gets ENOSYS and retries
 * with a short back-off.  Requests carry {"seq": i, "from": node, "data": o}.
 * One exchange is in flight at a time per shell.  Runs on the shell's loop.
 */
#ifndef FLUX_SHELL_PMI_EXCHANGE_H
#define FLUX_SHELL_PMI_EXCHANGE_H

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "flux/shell.h"
#include "libflux/ptr.h"
#include "result/result.h"

namespace flux::shell::pmi {

class Exchange {
  public:
    /* ranks: the broker rank of each node id of the job; node: ours.
     * name: the service's prefix ("pmi" for PMI-1, "pmix" for the PMIx
     * fence), so that both servers of one job exchange independently. */
    Exchange(flux_shell_t *shell, uint64_t jobid, int node, std::vector<uint32_t> ranks,
             int fanout = 2, const std::string &name = "pmi");
    ~Exchange();
    Exchange(const Exchange &) = delete;
    Exchange &operator=(const Exchange &) = delete;

    /* Result: the union of every shell's DATA (an object, borrowed by the
     * callback), or the error that stopped the exchange. */
    using Done = std::function<void(const Result<json_t *> &result)>;
    /* Contribute DATA (stolen).  EINPROGRESS if one is in flight. */
    Result<void> start(json_t *data, Done done);

  private:
    struct Round {
        JsonPtr merged{json_object()};
        int children_in = 0;
        bool local_in = false;
        bool sent = false;
        std::vector<ConstMsgPtr> waiting; /* children's requests */
    };
    Result<void> ensure_service();
    int nchildren() const;
    void request(const flux_msg_t *msg);
    void maybe_forward(uint32_t seq);
    void send_up(uint32_t seq);
    void finish(uint32_t seq, const Result<json_t *> &result);
    static void request_cb(flux_t *, flux_msg_handler_t *, const flux_msg_t *msg, void *arg);
    static void response_cb(flux_future_t *f, void *arg);
    static void retry_cb(evutil_socket_t, short, void *arg);

    flux_shell_t *shell_;
    uint64_t jobid_;
    int node_;
    std::vector<uint32_t> ranks_;
    int fanout_;
    std::string service_;
    std::string topic_; /* service_ + ".exchange" */
    bool registered_ = false;
    flux_msg_handler_t *mh_ = nullptr;
    uint32_t seq_ = 0; /* of the exchange in flight or the next one */
    bool busy_ = false;
    Done done_;
    std::map<uint32_t, Round> rounds_;
    FuturePtr up_;
    EventPtr retry_;
    double backoff_ = 0.005;
};

} // namespace flux::shell::pmi

#endif // FLUX_SHELL_PMI_EXCHANGE_H
