"""flux.job: build jobspecs, submit, wait, watch, steer and list jobs."""
from flux.job.JobID import JobID, id_parse, id_encode
from flux.job.jobspec import Jobspec, JobspecV1, parse_fsd, validate_jobspec
from flux.job.submit import (submit, submit_async, submit_get_id, SubmitFuture, wait,
                             wait_get_status,
                             wait_async, JobWaitResult, JobWaitFuture, cancel, cancel_async,
                             kill, kill_async, raise_job, raise_async, set_urgency)
from flux.job.event import (EventLogEvent, JobException, JobEventWatchFuture, MAIN_EVENTS,
                            event_watch, event_watch_async, event_wait)
from flux.job.info import JobInfo
from flux.job.list import (JobList, JobListRPC, job_list, job_list_id, job_list_inactive,
                            get_job, result, result_async, JobResultFuture)
from flux.job.kvs import job_kvs, job_kvs_guest, job_kvs_lookup
from flux.job.journal import JournalConsumer, JournalEvent
from flux.job.executor import FluxExecutor, FluxExecutorFuture

# flux.job.raise(...) as in the issue; "raise" is a keyword, so getattr only.
globals()["raise"] = raise_job
