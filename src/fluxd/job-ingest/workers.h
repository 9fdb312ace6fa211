/* workers.h - a pool of long-lived worker processes for an executable
 * validator or frobnicator (any language), driven by the broker's loop.
 *
 * Protocol (flux-ingest-plugins(7)): the broker writes one JSON object per
 * line on the worker's stdin, {jobspec, userid, rolemask, urgency, flags};
 * the worker answers each with one JSON line on stdout, in order:
 * {errnum: 0} to accept, {errnum: N, errstr: "why"} to reject, and for a
 * frobnicator {errnum: 0, jobspec: {...}} (the rewritten jobspec; "data"
 * is taken too, as Flux's workers write it).  What it writes on stderr goes
 * to the broker's log, a line at a time.
 *
 * A worker has one request at a time; up to MAX_WORKERS are started on
 * demand and kept.  A request not answered within TIMEOUT seconds fails
 * and its worker (its whole process group) is killed; a worker that exits
 * fails the request it had.  Either way the next request starts a fresh
 * worker: the pool recovers by itself.  Nothing here blocks.
 */
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

#include "libflux/ptr.h"
#include "result/result.h"

struct bufferevent;

namespace fluxd {

class ServiceHost;

class WorkerPool {
  public:
    /* LABEL names the pool in errors and logs ("validator check.py"). */
    WorkerPool(ServiceHost &host, std::string label, std::vector<std::string> argv,
               int max_workers, double timeout);
    ~WorkerPool(); /* kills the workers */
    WorkerPool(const WorkerPool &) = delete;
    WorkerPool &operator=(const WorkerPool &) = delete;

    /* The answer object, or an error: the worker's rejection is not an
     * error here (the caller reads errnum), a timeout, a death or an
     * unreadable answer is (its text names LABEL). */
    using Answer = std::function<void(flux::Result<flux::JsonPtr> answer)>;
    /* Send LINE (one JSON object, no newline) to a free worker, or queue
     * it until one is free.  CB is called from the loop, never from here. */
    void submit(std::string line, Answer cb);

    const std::string &label() const { return label_; }
    /* Workers started since the pool was made (tests read it in the log). */
    size_t started() const { return started_; }

  private:
    struct Request {
        std::string line;
        Answer cb;
    };
    struct Worker {
        WorkerPool *pool = nullptr;
        pid_t pid = -1; /* -1 once reaped */
        bufferevent *io = nullptr;
        bufferevent *err = nullptr;
        flux::EventPtr timer;
        std::unique_ptr<Request> busy;
        ~Worker();
    };
    void dispatch();
    flux::Result<std::shared_ptr<Worker>> spawn();
    void on_line(Worker &w, std::string line);
    void on_timeout(Worker &w);
    void on_exit(Worker &w, int status);
    void on_eof(Worker &w);
    /* Fail W's request with ERR (if it has one) and drop W from the pool. */
    void retire(Worker &w, flux::Error err);
    void read_lines(Worker &w);
    void complete(std::unique_ptr<Request> r, flux::Result<flux::JsonPtr> answer);

    ServiceHost &host_;
    std::string label_;
    std::vector<std::string> argv_;
    int max_workers_;
    double timeout_;
    size_t started_ = 0;
    std::deque<Request> queue_;
    std::vector<std::shared_ptr<Worker>> workers_;
    std::vector<std::shared_ptr<Worker>> retired_; /* freed from done_ev_ */
    /* Answers are delivered from this event, never from inside submit(). */
    std::deque<std::pair<std::unique_ptr<Request>, flux::Result<flux::JsonPtr>>> done_;
    flux::EventPtr done_ev_;
};

} // namespace fluxd
