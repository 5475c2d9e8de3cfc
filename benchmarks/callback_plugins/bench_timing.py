# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark-only callback: per task and host, the action, status and duration, as JSON.

Enabled by benchmarks/run.py for both systems alike (ANSIBLE_CALLBACKS_ENABLED=bench_timing);
writes to $BENCH_TIMING_FILE when the playbook ends. It does no work per result beyond
recording two timestamps, so it costs both systems the same.
"""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: bench_timing
type: aggregate
short_description: records per-task, per-host durations for the skupper.tls benchmark
description:
  - Writes one JSON record per task result to the file named by E(BENCH_TIMING_FILE).
requirements:
  - enabled in configuration
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timing"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._start = {}
        self._records = []
        self._t0 = time.time()

    def v2_runner_on_start(self, host, task):
        self._start[(host.get_name(), task._uuid)] = time.time()

    def _record(self, result, status):
        host = result._host.get_name()
        task = result._task
        end = time.time()
        start = self._start.pop((host, task._uuid), end)
        changed = bool(result._result.get("changed", False)) if status == "ok" else False
        self._records.append({
            "host": host,
            "task": task.get_name(),
            "action": task.action,
            "status": "changed" if changed else status,
            "start": round(start - self._t0, 4),
            "duration": round(end - start, 4),
        })

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("BENCH_TIMING_FILE")
        if not path:
            return
        with open(path, "w") as f:
            json.dump({"elapsed": round(time.time() - self._t0, 4), "results": self._records}, f)
