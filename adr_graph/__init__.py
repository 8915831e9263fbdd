"""adr_graph: atom graphs of verifiable code tasks and novel, verified task synthesis."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
