"""Programs the verifier runs in the sandbox around generated code, and their outputs.

Generated code is never imported or executed here: these functions only build program
text (the generated code followed by a small driver) and parse what the sandboxed run
printed. Inputs travel in a file (``inputs.json``) next to the program; the driver
prints one JSON document on its last stdout line, prefixed by a marker so that
anything the generated code prints is ignored.

>>> "def generate" in generator_program("def generate(rng):\\n    return [1]", n=3, seed=0)
True
>>> outputs_equal([1.0, [2, 3]], [1.0000000001, [2, 3]])
True
"""

from __future__ import annotations

import json
import math
from typing import Any

from ..errors import HarnessError

__all__ = [
    "MARKER",
    "HarnessError",
    "call_program",
    "cases_program",
    "generator_program",
    "outputs_equal",
    "parse_marked",
    "stdin_program",
    "stdout_equal",
    "validator_program",
]

MARKER = "@@ADR-GRAPH-RESULT@@"

_NORMALISE = """
def _adr_normalise(value):
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, dict):
        return {str(k): _adr_normalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_adr_normalise(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, float) and value != value:
        return "NaN"
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)
"""


def generator_program(code: str, *, n: int, seed: int) -> str:
    """Generated input generator + a driver that prints ``n`` inputs.

    Each call gets its own seeded ``rng``; the global ``random`` module is seeded too, so a
    generator that ignores ``rng`` and calls ``random`` still gives the same inputs on every
    run (the tests of a task, and the evidence a repair is shown, stay reproducible).
    """
    return f"""{code}

# ---- adr-graph driver ----
import json as _adr_json, random as _adr_random
{_NORMALISE}
_adr_out = []
for _adr_i in range({int(n)}):
    _adr_seed = {int(seed)} * 1000003 + _adr_i
    _adr_random.seed(_adr_seed)
    _adr_out.append(_adr_normalise(generate(_adr_random.Random(_adr_seed))))
print({MARKER!r} + _adr_json.dumps(_adr_out))
"""


def cases_program(code: str) -> str:
    """Generated ``cases()`` (a list of test inputs) + a driver that prints them."""
    return f"""{code}

# ---- adr-graph driver ----
import json as _adr_json
{_NORMALISE}
print({MARKER!r} + _adr_json.dumps([_adr_normalise(c) for c in cases()]))
"""


def validator_program(code: str) -> str:
    """Generated validator + a driver that checks every input of ``inputs.json``."""
    return f"""{code}

# ---- adr-graph driver ----
import json as _adr_json
_adr_inputs = _adr_json.load(open("inputs.json"))
_adr_out = []
for _adr_args in _adr_inputs:
    try:
        _adr_out.append(bool(validate(_adr_args)))
    except Exception:
        _adr_out.append(False)
print({MARKER!r} + _adr_json.dumps(_adr_out))
"""


def call_program(code: str, entry_point: str) -> str:
    """A solution + a driver calling ``entry_point(*args)`` on every input of ``inputs.json``.

    Each result is ``{"ok": true, "value": ...}`` or ``{"ok": false, "error": "TypeName",
    "message": ..., "line": N}``, where ``line`` is the line of ``code`` (1-based) the
    exception left last (``null`` when it left from elsewhere, e.g. a library).
    """
    return f"""{code}

# ---- adr-graph driver ----
import json as _adr_json, copy as _adr_copy, traceback as _adr_tb
{_NORMALISE}
_adr_inputs = _adr_json.load(open("inputs.json"))
_adr_out = []
_adr_last = {len(code.splitlines())}
for _adr_args in _adr_inputs:
    try:
        _adr_value = {entry_point}(*_adr_copy.deepcopy(_adr_args))
        _adr_out.append({{"ok": True, "value": _adr_normalise(_adr_value)}})
    except Exception as _adr_exc:
        _adr_lines = [f.lineno for f in _adr_tb.extract_tb(_adr_exc.__traceback__)
                      if f.filename == __file__ and f.lineno and f.lineno <= _adr_last]
        _adr_out.append({{"ok": False, "error": type(_adr_exc).__name__,
                         "message": str(_adr_exc)[:300],
                         "line": _adr_lines[-1] if _adr_lines else None}})
print({MARKER!r} + _adr_json.dumps(_adr_out, default=repr))
"""


def stdin_program(code: str) -> str:
    """A stdin/stdout program + a driver running it once per input of ``inputs.json``.

    Each input (a string) becomes the program's standard input; what it prints (lines
    right-stripped, trailing blank lines dropped) is the value. ``sys.exit(0)`` counts as
    a normal end. The program is compiled and run by the driver inside the sandbox.
    """
    return f"""# ---- adr-graph driver: runs the program below once per input ----
import builtins as _adr_builtins, contextlib as _adr_ctx, io as _adr_io
import json as _adr_json, sys as _adr_sys
_adr_code = compile({code!r}, "main.py", "exec")
_adr_out = []
for _adr_text in _adr_json.load(open("inputs.json")):
    _adr_buffer = _adr_io.StringIO()
    _adr_sys.stdin = _adr_io.TextIOWrapper(_adr_io.BytesIO(_adr_text.encode()), "utf-8")
    _adr_error = None
    try:
        with _adr_ctx.redirect_stdout(_adr_buffer):
            exec(_adr_code, {{"__name__": "__main__", "__builtins__": _adr_builtins}})
    except SystemExit as _adr_exit:
        if _adr_exit.code not in (None, 0):
            _adr_error = "SystemExit"
    except Exception as _adr_exc:
        _adr_error = type(_adr_exc).__name__
    _adr_lines = [_l.rstrip() for _l in _adr_buffer.getvalue().splitlines()]
    while _adr_lines and not _adr_lines[-1]:
        _adr_lines.pop()
    _adr_out.append({{"ok": False, "error": _adr_error}} if _adr_error
                    else {{"ok": True, "value": "\\n".join(_adr_lines)}})
print({MARKER!r} + _adr_json.dumps(_adr_out), file=_adr_sys.__stdout__)
"""


def stdout_equal(a: Any, b: Any, rel: float = 1e-6, abs_tol: float = 1e-9) -> bool:
    """Printed outputs compared token by token (whitespace-insensitive; numbers within
    a tolerance).

    >>> stdout_equal("3\\n0.5000000001 yes", "3 0.5 yes"), stdout_equal("1 2", "1 2 3")
    (True, False)
    """
    if not (isinstance(a, str) and isinstance(b, str)):
        return False
    left, right = a.split(), b.split()
    return len(left) == len(right) and all(
        x == y or _close(x, y, rel, abs_tol) for x, y in zip(left, right, strict=True)
    )


def _close(x: str, y: str, rel: float, abs_tol: float) -> bool:
    try:
        return math.isclose(float(x), float(y), rel_tol=rel, abs_tol=abs_tol)
    except ValueError:
        return False


def parse_marked(stdout: str) -> Any:
    """The JSON document after the driver's marker (the last one printed)."""
    position = stdout.rfind(MARKER)
    if position < 0:
        raise HarnessError("the program printed no result (crashed or timed out?)")
    line = stdout[position + len(MARKER) :].splitlines()[0] if stdout[position:] else ""
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise HarnessError(f"unreadable result: {exc.msg}") from exc


def outputs_equal(a: Any, b: Any, rel: float = 1e-6, abs_tol: float = 1e-9) -> bool:
    """Structural equality with a float tolerance (ints and floats compare by value)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or (a == b and type(a) is type(b))
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=rel, abs_tol=abs_tol)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(
            outputs_equal(x, y, rel, abs_tol) for x, y in zip(a, b, strict=True)
        )
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(outputs_equal(a[k], b[k], rel, abs_tol) for k in a)
    return bool(a == b)
