"""A client for a SandboxFusion server (``POST {base_url}/run_code``).

SandboxFusion is a separate, container-based service; it cannot be installed here, so
this client is tested against a small fake HTTP server speaking the same JSON. Request
fields: ``code``, ``language``, ``stdin``, ``run_timeout``, ``compile_timeout``,
``memory_limit_MB`` and ``files`` (name -> base64 content). Response: a top-level
``status`` ("Success", "Failed", "SandboxError"), ``message`` and ``run_result`` with
``status`` ("Finished", "Error", "TimeLimitExceeded"), ``return_code``, ``stdout``,
``stderr`` and ``execution_time``.
"""

from __future__ import annotations

import base64
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from adr_graph.errors import SandboxError
from adr_graph.sandbox.records import RunRequest, RunResult, RunStatus

__all__ = ["RemoteSandbox", "fusion_payload", "fusion_result"]

log = logging.getLogger(__name__)

_MEMORY_MARKERS = ("MemoryError", "Cannot allocate memory")


def fusion_payload(request: RunRequest) -> dict[str, Any]:
    """The SandboxFusion ``/run_code`` body for ``request``.

    >>> body = fusion_payload(RunRequest(code="print(1)", files={"a.txt": "hi"}))
    >>> (body["language"], body["files"]["a.txt"], body["run_timeout"])
    ('python', 'aGk=', 10.0)
    """
    files = {
        name: base64.b64encode(text.encode("utf-8")).decode("ascii")
        for name, text in request.files.items()
    }
    return {
        "code": request.code,
        "language": "python",
        "stdin": request.stdin,
        "run_timeout": request.limits.wall_seconds,
        "compile_timeout": request.limits.wall_seconds,
        "memory_limit_MB": request.limits.memory_mb,
        "files": files,
        "fetch_files": [],
    }


def _cap(text: str, limit: int) -> tuple[str, bool]:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text, False
    return data[:limit].decode("utf-8", errors="ignore"), True


def fusion_result(body: dict[str, Any], output_bytes: int, wall: float) -> RunResult:
    """Map a SandboxFusion response to a :class:`RunResult`.

    >>> fusion_result({"status": "Success", "run_result": {"status": "Finished",
    ...     "return_code": 0, "stdout": "1\\n", "stderr": ""}}, 100, 0.1).stdout
    '1\\n'
    """
    run = body.get("run_result") or {}
    top = body.get("status")
    stdout, cut_out = _cap(run.get("stdout") or "", output_bytes)
    stderr, cut_err = _cap(run.get("stderr") or "", output_bytes)
    code = run.get("return_code")
    status: RunStatus
    if top == "SandboxError" or not run:
        status, stderr = "sandbox_error", stderr or str(body.get("message", "no run_result"))
    elif run.get("status") == "TimeLimitExceeded":
        status = "timeout"
    elif code == 0 and run.get("status") == "Finished":
        status = "ok"
    elif any(m in stderr for m in _MEMORY_MARKERS):
        status = "memory"
    elif isinstance(code, int) and code < 0:
        status = "killed"
    else:
        status = "error"
    return RunResult(
        status=status,
        exit_code=code if isinstance(code, int) else None,
        stdout=stdout,
        stderr=stderr,
        truncated=cut_out or cut_err,
        wall_seconds=float(run.get("execution_time") or wall),
        network_isolated=False,
    )


class RemoteSandbox:
    """Run programs on a SandboxFusion server.

    ``network_isolated`` is reported False: the server's network policy is its own.
    """

    def __init__(self, base_url: str, *, timeout_margin: float = 30.0) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise SandboxError(f"SandboxFusion base_url must be http(s)://, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.timeout_margin = timeout_margin

    def _post(self, body: dict[str, Any], timeout: float) -> dict[str, Any]:
        data = json.dumps(body).encode("utf-8")
        req = urllib.request.Request(
            f"{self.base_url}/run_code",
            data=data,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            parsed = json.loads(resp.read().decode("utf-8"))
        if not isinstance(parsed, dict):
            raise ValueError("SandboxFusion answered with a non-object JSON body")
        return parsed

    def run(self, request: RunRequest) -> RunResult:
        """Send one program; transport failures come back as ``sandbox_error``."""
        started = time.monotonic()
        timeout = request.limits.wall_seconds + self.timeout_margin
        try:
            body = self._post(fusion_payload(request), timeout)
        except (OSError, ValueError, urllib.error.URLError) as exc:
            log.error("SandboxFusion request to %s failed: %s", self.base_url, exc)
            return RunResult(
                status="sandbox_error",
                stderr=f"sandbox error: {exc}",
                wall_seconds=time.monotonic() - started,
            )
        return fusion_result(body, request.limits.output_bytes, time.monotonic() - started)

    def run_many(
        self, requests: Sequence[RunRequest], max_workers: int | None = None
    ) -> list[RunResult]:
        """Send requests concurrently; results keep the order of ``requests``."""
        with ThreadPoolExecutor(max_workers=max(1, max_workers or 8)) as pool:
            return list(pool.map(self.run, requests))
