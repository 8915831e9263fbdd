"""The ``adr-graph`` command line: thin commands over :mod:`adr_graph.stages`.

Each command parses its options, builds one :class:`~adr_graph.settings.Settings`
(the only reader of the environment), opens the store once, calls a stage and presents
its report. Commands are registered here, explicitly.
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Sequence
from typing import Annotated

import typer

from .. import __version__
from ..errors import AdrGraphError, InputError
from . import export, graph, query, report, run, sample, tasks
from .common import err

__all__ = ["app", "main"]

app = typer.Typer(
    name="adr-graph",
    help="Atom graphs of verifiable code tasks; novel, verified task synthesis.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,  # plain click help: no <bool> metavars on flags
)
seeds_app = typer.Typer(help="Seed corpora.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(seeds_app, name="seeds")

seeds_app.command("fetch")(graph.seeds_fetch)
app.command("ingest")(graph.ingest_cmd)
app.command("stats")(graph.stats_cmd)
app.command("run")(run.run_cmd)
app.command("sample")(sample.sample_cmd)
app.command("coverage")(sample.coverage_cmd)
app.command("generate")(tasks.generate_cmd)
app.command("verify")(tasks.verify_cmd)
app.command("report")(report.report_cmd)
app.command("query")(query.query_cmd)
app.command("export")(export.export_cmd)
app.command("import")(graph.import_cmd)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug details.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _fail(exc: Exception) -> None:
    """One unwrapped line on stderr, whatever the terminal width."""
    message = " ".join(str(exc).split())
    sys.stderr.write(f"adr-graph: error: {message}\n")


class _Interrupted(BaseException):
    """Raised from the SIGINT handler; click would turn KeyboardInterrupt into 'Aborted!'."""


def _on_sigint(_signum: int, _frame: object) -> None:
    raise _Interrupted


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: maps errors to one-line messages and exit codes.

    Usage errors exit 2 (typer prints them), bad input 2, other failures 1, Ctrl-C 130.
    """
    previous = signal.signal(signal.SIGINT, _on_sigint)
    try:
        app(args=list(argv) if argv is not None else None, prog_name="adr-graph")
    except _Interrupted:
        err.print("adr-graph: interrupted; the store keeps its last committed state")
        sys.exit(130)
    except InputError as exc:
        _fail(exc)
        sys.exit(2)
    except AdrGraphError as exc:
        _fail(exc)
        sys.exit(1)
    finally:
        signal.signal(signal.SIGINT, previous)
