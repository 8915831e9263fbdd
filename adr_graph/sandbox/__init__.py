"""Run generated (hostile until proven otherwise) Python programs away from the host.

Never ``exec`` generated code in-process: hand a :class:`RunRequest` to a
:class:`Sandbox` (:class:`LocalSandbox` here, :class:`RemoteSandbox` for a
SandboxFusion server) and read the :class:`RunResult`.

>>> from adr_graph.sandbox import LocalSandbox, RunRequest
>>> LocalSandbox().run(RunRequest(code="print(input()[::-1])", stdin="abc")).stdout
'cba\\n'
"""

from __future__ import annotations

from adr_graph.errors import SandboxError
from adr_graph.sandbox.local import LocalSandbox, probe_isolation, sandbox_env
from adr_graph.sandbox.records import (
    STATUSES,
    Limits,
    RunRequest,
    RunResult,
    RunStatus,
    Sandbox,
    classify_exit,
)
from adr_graph.sandbox.remote import RemoteSandbox, fusion_payload, fusion_result

__all__ = [
    "STATUSES",
    "Limits",
    "LocalSandbox",
    "RemoteSandbox",
    "RunRequest",
    "RunResult",
    "RunStatus",
    "Sandbox",
    "SandboxError",
    "classify_exit",
    "fusion_payload",
    "fusion_result",
    "probe_isolation",
    "sandbox_env",
]
