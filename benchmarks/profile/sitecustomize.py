"""Profiling hook for benchmarks/run.py --profile cprofile (on PYTHONPATH of ansible-playbook only then).

Every Ansible worker process (one fork per task and host) runs under cProfile with CPU time as its clock and
dumps its stats to $BENCH_CPROFILE_DIR/worker-<pid>.prof; the main process to main-<pid>.prof at exit.
py-spy misses most workers (they live a few tens of milliseconds), hence this.
"""

import os

_DIR = os.environ.get("BENCH_CPROFILE_DIR")
if _DIR:
    import atexit
    import cProfile
    import time

    def _dump(prof, kind):
        prof.disable()
        prof.dump_stats(os.path.join(_DIR, "%s-%d.prof" % (kind, os.getpid())))

    _MAIN = cProfile.Profile(time.process_time)
    _MAIN_PID = os.getpid()
    atexit.register(lambda: os.getpid() == _MAIN_PID and _dump(_MAIN, "main"))
    _MAIN.enable()

    from ansible.executor.process import worker as _worker

    _original_run = _worker.WorkerProcess._run

    def _profiled_run(self):
        _MAIN.disable()  # inherited from the main process: not this worker's
        prof = cProfile.Profile(time.process_time)
        prof.enable()
        try:
            return _original_run(self)
        finally:
            _dump(prof, "worker")

    _worker.WorkerProcess._run = _profiled_run
