"""In the style of Parsl's FluxExecutor (parsl/executors/flux): a submission
thread builds JobspecV1 objects, submits them through flux.job.FluxExecutor
(handle_args carrying the URI as bytes, as Parsl receives it over ZMQ) and
links each Flux future to a user-facing future.  Run as-is."""
import functools
import os
import queue
import sys
import tempfile
import threading
from concurrent.futures import Future

import flux
import flux.job


def _complete_future(expected, user_future, flux_future):
    if user_future.cancelled():
        return
    try:
        code = flux_future.result()
    except Exception as exc:
        user_future.set_exception(exc)
    else:
        user_future.set_result((code, expected))


def main():
    working_dir = tempfile.mkdtemp()
    flux_instance_uri = flux.Flux().attr_get("local-uri").encode()
    submission_queue = queue.Queue()
    user_futures = []
    for i in range(20):
        fut = Future()
        user_futures.append(fut)
        submission_queue.put((fut, str(i)))

    def submit_jobs():
        with flux.job.FluxExecutor(handle_args=(flux_instance_uri,)) as flux_executor:
            while not submission_queue.empty():
                future, task_id = submission_queue.get()
                jobspec = flux.job.JobspecV1.from_command(
                    command=[sys.executable, "-c", "import sys; sys.exit(%s %% 3)" % task_id],
                    num_tasks=1,
                    num_nodes=None,
                    cores_per_task=1,
                    gpus_per_task=None,
                )
                jobspec.cwd = os.getcwd()
                jobspec.environment = dict(os.environ)
                jobspec.stdout = os.path.abspath(
                    os.path.join(working_dir, f"{task_id}_stdout{os.extsep}txt"))
                jobspec.stderr = os.path.abspath(
                    os.path.join(working_dir, f"{task_id}_stderr{os.extsep}txt"))
                flux_future = flux_executor.submit(jobspec)
                flux_future.add_done_callback(
                    functools.partial(_complete_future, int(task_id) % 3, future))

    t = threading.Thread(target=submit_jobs)
    t.start()
    results = [f.result(timeout=120) for f in user_futures]
    t.join()
    assert all(code == expected for code, expected in results), results
    print("parsl-style: ok")


if __name__ == "__main__":
    main()
