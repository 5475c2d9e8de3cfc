# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: appends every task result, as Ansible shows it (no_log applied), to $RECORD_FILE as JSON lines."""

from __future__ import annotations

DOCUMENTATION = r"""
name: record
type: aggregate
short_description: Record task results as JSON lines for the integration tests
description:
  - Appends one JSON object per task result to the file named by E(RECORD_FILE).
requirements:
  - E(RECORD_FILE) is set
"""

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "record"
    CALLBACK_NEEDS_ENABLED = True

    def _record(self, result, status):
        path = os.environ.get("RECORD_FILE")
        if not path:
            return
        clean = self._clean(result._result)
        if status in ("failed", "item_failed"):
            clean["failed"] = True
        entry = {"task": result.task_name, "host": result._host.get_name(), "status": status, "result": clean}
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, default=str) + "\n")

    def _clean(self, res):
        # The same masking the stdout callbacks apply: no_log results are already censored by the executor.
        return json.loads(self._dump_results(res, indent=None))

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_item_on_ok(self, result):
        self._record(result, "item_ok")

    def v2_runner_item_on_failed(self, result):
        self._record(result, "item_failed")
