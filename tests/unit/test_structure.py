"""The shape of the package, held by tests: one reader of the environment, one error tree,
stages below the CLI, one store opening per command."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

import adr_graph
from tests.unit.test_cli import run_cli

PACKAGE = Path(adr_graph.__file__).parent
MODULES = sorted(PACKAGE.rglob("*.py"))


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _imports(path: Path) -> set[str]:
    """Absolute names of the adr_graph modules ``path`` imports."""
    package = ".".join(("adr_graph", *path.relative_to(PACKAGE).with_suffix("").parts[:-1]))
    if path.name == "__init__.py":
        package = ".".join(("adr_graph", *path.relative_to(PACKAGE).parts[:-1]))
    found = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
            module = (
                ".".join(base + ([node.module] if node.module else []))
                if node.level
                else node.module
            )
            found.add(module or "")
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m.startswith("adr_graph")}


def test_only_the_settings_read_the_environment() -> None:
    readers = []
    for path in MODULES:
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv"):
                readers.append(str(path.relative_to(PACKAGE)))
    assert sorted(set(readers)) == []  # settings.py reads it through pydantic-settings


def test_every_error_class_lives_in_errors_py() -> None:
    elsewhere = []
    for path in MODULES:
        if path.name == "errors.py":
            continue
        for node in ast.walk(_tree(path)):
            bases = [getattr(b, "id", "") for b in getattr(node, "bases", [])]
            if bases == ["BaseException"] and node.name.startswith("_"):  # type: ignore[attr-defined]
                continue  # the CLI's private Ctrl-C signal, not an error
            if isinstance(node, ast.ClassDef) and any(
                b.endswith(("Error", "Exception")) for b in bases
            ):
                elsewhere.append(f"{path.relative_to(PACKAGE)}:{node.name}")
    assert elsewhere == []


def test_the_library_never_imports_the_cli() -> None:
    back_edges = [
        str(p.relative_to(PACKAGE))
        for p in MODULES
        if "cli" not in p.relative_to(PACKAGE).parts
        and any(m == "adr_graph.cli" or m.startswith("adr_graph.cli.") for m in _imports(p))
    ]
    assert back_edges == []


def test_stages_do_not_print_or_parse_locations() -> None:
    for path in sorted((PACKAGE / "stages").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert "print(" not in text and "Console" not in text, path
        assert "open_store" not in text and "is_bolt_uri" not in text, path


def test_run_opens_the_store_once(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from adr_graph.cli import common

    opened: list[str] = []
    real = common.open_store

    def counting(location: str, bolt: object = None) -> object:
        opened.append(location)
        return real(location, bolt)  # type: ignore[arg-type]

    monkeypatch.setattr(common, "open_store", counting)
    store = str(tmp_path / "st")
    args = ["run", "--store", store, "--cache", str(cache), "--out-dir", str(tmp_path / "o")]
    code, out, err = run_cli(capsys, *args, "--sets", "3", "--json")
    assert code == 0, err
    assert opened == [store] and json.loads(out)["sets_count"] > 0
