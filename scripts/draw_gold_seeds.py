"""Draw unlabelled gold-set seeds from a corpus the lexicons were not written from.

The corpus is the ``algorithms`` wheel from PyPI (keon/algorithms, MIT): one module per
algorithm, with a module docstring that states the problem and the code that solves it.
Each eligible module (a docstring of at least 80 characters, source at most 12 KB, not a
package ``__init__``) becomes a :class:`~adr_graph.records.Seed`: the docstring is the
statement, the module source the solution. The modules are shuffled with
``random.Random(7)`` and the first ``--count`` are printed as gold lines with empty labels,
to be labelled by hand before any extractor is run on them (``tests/data/gold/README.md``).

Usage::

    python scripts/draw_gold_seeds.py --wheel algorithms-1.0.1-py3-none-any.whl --count 30
"""

from __future__ import annotations

import argparse
import ast
import json
import random
import zipfile
from pathlib import PurePosixPath

from adr_graph.records import Seed
from adr_graph.schema import load_schemas

SOURCE = "algorithms==1.0.1"
MIN_DOCSTRING = 80
MAX_SOURCE = 12_000


def eligible(path: str, source: str) -> Seed | None:
    """The seed of one module, or ``None`` when it states no problem."""
    name = PurePosixPath(path)
    if name.suffix != ".py" or name.name == "__init__.py" or len(source) > MAX_SOURCE:
        return None
    try:
        module = ast.parse(source)
    except SyntaxError:
        return None
    doc = ast.get_docstring(module) or ""
    if len(doc) < MIN_DOCSTRING:
        return None
    public = [
        n.name for n in module.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")
    ]
    dotted = ".".join(name.with_suffix("").parts[1:])
    return Seed(
        id=f"keon-algorithms/{dotted}",
        domain="algorithm",
        statement=doc,
        solution=source,
        entry_point=public[0] if public else None,
        source=SOURCE,
        license="MIT",
        metadata={"path": path},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", required=True)
    parser.add_argument("--count", type=int, default=30)
    args = parser.parse_args()
    with zipfile.ZipFile(args.wheel) as wheel:
        paths = sorted(p for p in wheel.namelist() if p.startswith("algorithms/"))
        seeds = [s for p in paths if (s := eligible(p, wheel.read(p).decode("utf-8")))]
    random.Random(7).shuffle(seeds)
    slots = [s.name for s in load_schemas()["algorithm"].slots]
    for seed in seeds[: args.count]:
        gold = {slot: [] for slot in slots}
        print(json.dumps({"seed": seed.model_dump(), "gold": gold, "notes": ""}))


if __name__ == "__main__":
    main()
