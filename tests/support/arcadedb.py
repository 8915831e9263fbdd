"""Start and stop a real ArcadeDB server (Bolt endpoint) for tests, via scripts/arcadedb.sh."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ArcadeServer", "arcadedb_available", "start_arcadedb"]

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "arcadedb.sh"
PASSWORD = "adr-graph-test"
DATABASE = "adrgraph"


def arcadedb_available() -> bool:
    return importlib.util.find_spec("arcadedb_embedded") is not None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ArcadeServer:
    """A running server; ``stop()`` ends it and checks the process is gone."""

    uri: str
    http_url: str
    env: dict[str, str] = field(repr=False)
    user: str = "root"
    password: str = PASSWORD
    database: str = DATABASE

    def stop(self) -> None:
        subprocess.run(["bash", str(SCRIPT), "stop"], cwd=ROOT, env=self.env, check=True,
                       timeout=60)


def start_arcadedb(state_dir: Path, timeout: float = 600) -> ArcadeServer:
    """Start a server on two free loopback ports with its data under ``state_dir``."""
    bolt, http = _free_port(), _free_port()
    env = {
        **os.environ,
        "VENV": sys.prefix,
        "STATE_DIR": str(state_dir),
        "BOLT_PORT": str(bolt),
        "HTTP_PORT": str(http),
        "ROOT_PASSWORD": PASSWORD,
        "DATABASE": DATABASE,
    }
    subprocess.run(["bash", str(SCRIPT), "start"], cwd=ROOT, env=env, check=True, timeout=timeout)
    return ArcadeServer(uri=f"bolt://127.0.0.1:{bolt}", http_url=f"http://127.0.0.1:{http}",
                        env=env)
