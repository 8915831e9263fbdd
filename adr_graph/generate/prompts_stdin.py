"""Prompts for stdin/stdout tasks: a complete program reads standard input and prints.

Chosen when the atom set holds the ``stdin/stdout`` io_format atom; the function-task
prompts in :mod:`.prompts` dispatch here. The input generator returns the whole standard
input as one string, and the validator checks that string.

>>> from adr_graph.records import AtomRef, AtomSet
>>> s = AtomSet(domain="algorithm", atoms=[AtomRef(
...     id="algorithm/io_format/stdin-stdout", slot="io_format", name="stdin/stdout")],
...     strategy="novelty", rng_seed=0)
>>> reads_stdin(s)
True
"""

from __future__ import annotations

from ..records import AtomSet

__all__ = [
    "INPUTS_STDIN_PROMPT_VERSION",
    "SECOND_STDIN_PROMPT_VERSION",
    "SOLVE_STDIN_PROMPT_VERSION",
    "STDIN",
    "STDIN_TASK_LAYOUT",
    "TASK_STDIN_PROMPT_VERSION",
    "inputs_stdin_system",
    "reads_stdin",
    "solve_stdin_system",
    "task_stdin_system",
]

TASK_STDIN_PROMPT_VERSION = "task-stdin-v1"
INPUTS_STDIN_PROMPT_VERSION = "inputs-stdin-v1"
SECOND_STDIN_PROMPT_VERSION = "second-stdin-v1"
SOLVE_STDIN_PROMPT_VERSION = "solve-stdin-v1"

#: ``Task.io_format`` of a stdin/stdout task (function tasks leave it ``None``).
STDIN = "stdin"
_STDIN_ATOM = "/io_format/stdin-stdout"

STDIN_TASK_LAYOUT = """TITLE: <a short title>
STATEMENT:
<the input format line by line, the output format, limits on sizes and values>
SOLUTION:
```python
import sys


def main():
    data = sys.stdin.read().split()
    <code>
    print(<answer>)


main()
```"""

_INPUTS_LAYOUT = """```python
def generate(rng):
    # the whole standard input as one string; follow the statement's input format
    n = rng.randint(1, 8)
    values = [rng.randint(-9, 9) for _ in range(n)]
    return f"{n}\\n" + " ".join(map(str, values)) + "\\n"

def validate(text):
    # text is a string like the one generate returns; check the statement's limits
    lines = text.split("\\n")
    return len(lines) >= 1
```"""


def reads_stdin(atom_set: AtomSet) -> bool:
    """Whether ``atom_set`` asks for a stdin/stdout program."""
    return any(a.id.endswith(_STDIN_ATOM) for a in atom_set.atoms)


def task_stdin_system() -> str:
    """System message of the ``task-stdin-v1`` prompt."""
    return (
        "You write one new, self-contained Python programming task and its reference "
        "solution. The solution is a complete program that reads standard input and "
        "prints the answer to standard output. Reply in exactly this layout: a TITLE "
        "line, a STATEMENT section that gives the input format line by line, the output "
        "format, and limits on sizes and values, with no hint of the method; then a "
        "SOLUTION section with ONE fenced Python block: the whole program (no prompts, no "
        "extra output). Standard library only.\n\nLayout:\n\n" + STDIN_TASK_LAYOUT
    )


def inputs_stdin_system() -> str:
    """System message of the ``inputs-stdin-v1`` prompt."""
    return (
        "You write test-input code for a Python program that reads standard input. Reply "
        "with ONE fenced Python block defining generate(rng), which returns one random "
        "standard input as a single string drawn with the random.Random rng (use "
        "rng.randint, rng.choice, rng.random; keep inputs small), and validate(text), "
        "which returns True when that input is legal for the statement. Standard library "
        "only; do not run the program.\n\nLayout:\n\n" + _INPUTS_LAYOUT
    )


def solve_stdin_system(extra: str) -> str:
    """System message of the ``second-stdin-v1`` / ``solve-stdin-v1`` prompts."""
    return (
        "You solve Python programming tasks. Reply with ONE fenced Python block: a "
        "complete program that reads standard input and prints the answer (no prompts, "
        "no extra output)." + extra
    )
