"""The sandbox modes the containment tests run on, and a maker that skips where a host
cannot give one (a failure instead, for bubblewrap, under ``ADR_GRAPH_REQUIRE_BWRAP=1``,
which ``make test`` sets: its set-up installs bubblewrap)."""

from __future__ import annotations

import os

import pytest

from adr_graph.sandbox import LocalSandbox

__all__ = ["MODES", "make_sandbox"]

#: Each mode's constructor arguments: the best this host allows (warm zygote in
#: bubblewrap), bubblewrap cold, the unshare fallback, and no isolation at all.
MODES: dict[str, dict[str, bool]] = {
    "zygote": {},
    "bwrap": {"zygote": False},
    "unshare": {"bwrap": False},
    "none": {"isolate": False, "use_cgroup": False},
}


def make_sandbox(mode: str) -> LocalSandbox:
    """The sandbox of ``mode``; skips where this host cannot give that mode."""
    box = LocalSandbox(**MODES[mode])
    wanted = {"zygote": "bwrap", "bwrap": "bwrap", "unshare": "unshare", "none": "none"}[mode]
    if box.isolation != wanted or (mode == "zygote" and box.mode != "zygote"):
        box.close()
        if mode in ("zygote", "bwrap") and os.environ.get("ADR_GRAPH_REQUIRE_BWRAP") == "1":
            pytest.fail(f"ADR_GRAPH_REQUIRE_BWRAP=1 but this host cannot run the {mode} sandbox")
        pytest.skip(f"this host cannot run the {mode} sandbox (isolation={box.isolation})")
    return box
