"""Records and the protocol shared by every sandbox backend. No I/O in here.

>>> r = RunRequest(code="print(1)", limits=Limits(cpu_seconds=1))
>>> (r.limits.cpu_seconds, r.limits.wall_seconds, r.stdin)
(1.0, 10.0, '')
"""

from __future__ import annotations

import signal as _signal
from collections.abc import Sequence
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "STATUSES",
    "Limits",
    "RunRequest",
    "RunResult",
    "RunStatus",
    "Sandbox",
    "classify_exit",
]

RunStatus = Literal["ok", "error", "timeout", "cpu_limit", "memory", "killed", "sandbox_error"]
STATUSES: tuple[str, ...] = (
    "ok",
    "error",
    "timeout",
    "cpu_limit",
    "memory",
    "killed",
    "sandbox_error",
)

_MEMORY_MARKERS = ("MemoryError", "Cannot allocate memory", "std::bad_alloc")


class Limits(BaseModel):
    """Resource limits for one run.

    ``memory_mb`` caps the address space (RLIMIT_AS), not the resident set;
    ``output_bytes`` caps each of stdout and stderr, the rest is dropped and flagged.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    cpu_seconds: float = Field(default=5.0, gt=0)
    wall_seconds: float = Field(default=10.0, gt=0)
    memory_mb: int = Field(default=1024, ge=16)
    max_processes: int = Field(default=64, ge=1)
    file_size_mb: int = Field(default=16, ge=0)
    output_bytes: int = Field(default=1_000_000, ge=0)


class RunRequest(BaseModel):
    """One Python program to run, with its stdin, extra files and argv.

    ``files`` are written next to the program (relative paths only); they are data,
    not importable modules, because the interpreter runs with safe-path (``-P``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    stdin: str = ""
    files: dict[str, str] = Field(default_factory=dict)
    limits: Limits = Field(default_factory=Limits)
    argv: list[str] = Field(default_factory=list)

    @field_validator("files")
    @classmethod
    def _relative_names(cls, files: dict[str, str]) -> dict[str, str]:
        for name in files:
            parts = name.replace("\\", "/").split("/")
            if not name or name.startswith("/") or ".." in parts or name == "main.py":
                raise ValueError(f"file name {name!r} must be a relative path inside the run dir")
        return files


class RunResult(BaseModel):
    """What came out of one run.

    >>> RunResult(status="ok", exit_code=0).ok
    True
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: RunStatus
    exit_code: int | None = None
    signal: str | None = None
    stdout: str = ""
    stderr: str = ""
    truncated: bool = False
    wall_seconds: float = 0.0
    network_isolated: bool = False

    @property
    def ok(self) -> bool:
        """True when the program exited 0 within its limits."""
        return self.status == "ok"


@runtime_checkable
class Sandbox(Protocol):
    """Something that runs untrusted Python programs away from the host process."""

    def run(self, request: RunRequest) -> RunResult:
        """Run one program and report how it ended."""
        ...

    def run_many(
        self, requests: Sequence[RunRequest], max_workers: int | None = None
    ) -> list[RunResult]:
        """Run many programs concurrently; results keep the order of ``requests``."""
        ...


def classify_exit(
    returncode: int,
    stderr: str,
    *,
    timed_out: bool,
    cpu_used: float,
    cpu_limit: float,
) -> tuple[RunStatus, str | None]:
    """Map how a process ended to a status and a signal name.

    >>> classify_exit(0, "", timed_out=False, cpu_used=0.1, cpu_limit=5)
    ('ok', None)
    >>> classify_exit(-24, "", timed_out=False, cpu_used=5.0, cpu_limit=5)
    ('cpu_limit', 'SIGXCPU')
    >>> classify_exit(1, "MemoryError", timed_out=False, cpu_used=0.2, cpu_limit=5)
    ('memory', None)
    """
    sig = None
    if returncode < 0:
        try:
            sig = _signal.Signals(-returncode).name
        except ValueError:
            sig = f"SIG{-returncode}"
    if timed_out:
        return "timeout", sig
    if sig == "SIGXCPU" or (sig == "SIGKILL" and cpu_used >= cpu_limit * 0.95):
        return "cpu_limit", sig
    if returncode != 0 and any(m in stderr for m in _MEMORY_MARKERS):
        return "memory", sig
    if sig is not None:
        return "killed", sig
    return ("ok" if returncode == 0 else "error"), None
