"""Screening before export: near-duplicate tasks and contamination by evaluation seeds.

- **Duplicates.** Tasks are taken in order; one is a duplicate of an earlier kept task of
  the batch, or of an earlier output (``earlier``), when their statements' embedding
  cosine is at least :data:`DUPLICATE_COSINE`, or their references are the same once
  normalised (parsed, docstrings and comments dropped, unparsed).
- **Contamination.** Each task records its closest evaluation-only seed (DataFrameBench's
  val/test splits, seeds with ``trainable: false``; any corpus passed as evaluation, e.g.
  HumanEval): the embedding cosine of the statements and the number of word 13-grams the
  task's statement and reference share with the seed's statement and solution. A task
  with a shared 13-gram, or a cosine of at least :data:`CONTAMINATION_COSINE`, is flagged.

The result is stored on each task (:class:`~adr_graph.records.Screening`), so exports
carry it.

>>> normalised_code('def f(x):\\n    "doc"\\n    return x  # same\\n')
'def f(x):\\n    return x'
>>> len(ngrams("a b c", 2))
2
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Sequence

import numpy as np

from .embed import Embedder, l2_normalise
from .ingest import is_trainable
from .records import Screening, Seed, Task

__all__ = [
    "CONTAMINATION_COSINE",
    "DUPLICATE_COSINE",
    "NGRAM",
    "evaluation_seeds",
    "ngrams",
    "normalised_code",
    "screen_tasks",
]

#: Statement cosine (all-MiniLM-L6-v2) at or above which two tasks are one task reworded.
#: Measured: "return the sum of the even ones" reworded scores 0.965; the same sentence
#: asking for the odd ones (another task) 0.911; the 0.5B model's boilerplate tool-usage
#: statements 0.98 among themselves.
DUPLICATE_COSINE = 0.95
#: Statement cosine at or above which a task is flagged as close to an evaluation seed (a
#: flag for review, conservative: it catches a changed detail too; ``--decontaminate``
#: drops flagged tasks).
CONTAMINATION_COSINE = 0.9
#: Word n-gram length of the overlap test (the usual 13-gram decontamination).
NGRAM = 13

_WORD = re.compile(r"[A-Za-z0-9_]+")


def ngrams(text: str, n: int = NGRAM) -> set[tuple[str, ...]]:
    """Lower-cased word ``n``-grams of ``text``."""
    words = [w.lower() for w in _WORD.findall(text)]
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def normalised_code(code: str) -> str:
    """``code`` parsed and unparsed without docstrings (``code`` itself if it does not parse)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return code.strip()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and _is_docstring(body[0]):
            node.body = body[1:] or [ast.Pass()]  # type: ignore[attr-defined]
    return ast.unparse(tree)


def _is_docstring(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def evaluation_seeds(seeds: Iterable[Seed], corpora: Sequence[str] = ()) -> list[Seed]:
    """The evaluation-only ``seeds``: marked ``trainable: false`` (DataFrameBench's val and
    test splits), or from one of ``corpora`` (names as in ``source``, before ``==``)."""
    return [s for s in seeds if not is_trainable(s) or s.source.split("==")[0] in corpora]


def _vectors(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    if not texts:
        return np.zeros((0, 1))
    return l2_normalise(np.asarray(embedder.encode(list(texts)), dtype=np.float64))


def _duplicates(
    tasks: Sequence[Task], earlier: Sequence[Task], vectors: np.ndarray, old: np.ndarray
) -> list[tuple[str | None, float | None]]:
    """For each task, the earlier task it repeats (and the statement cosine), if any."""
    kept_ids = [t.id for t in earlier]
    kept_code = {normalised_code(t.reference_solution): t.id for t in earlier}
    kept_rows = list(old)
    out: list[tuple[str | None, float | None]] = []
    for task, vector in zip(tasks, vectors, strict=True):
        sims = np.asarray(kept_rows) @ vector if kept_rows else np.zeros(0)
        best = int(sims.argmax()) if len(sims) else -1
        code = normalised_code(task.reference_solution)
        if best >= 0 and sims[best] >= DUPLICATE_COSINE:
            out.append((kept_ids[best], round(float(sims[best]), 4)))
        elif code in kept_code:
            out.append((kept_code[code], None))
        else:
            out.append((None, round(float(sims[best]), 4) if best >= 0 else None))
            kept_ids.append(task.id)
            kept_rows.append(vector)
            kept_code[code] = task.id
    return out


def screen_tasks(
    tasks: Sequence[Task],
    embedder: Embedder,
    *,
    earlier: Sequence[Task] = (),
    eval_seeds: Sequence[Seed] = (),
) -> list[Task]:
    """``tasks`` with their :class:`Screening` (duplicates against the batch and
    ``earlier`` outputs; contamination against ``eval_seeds``)."""
    vectors = _vectors(embedder, [t.statement for t in tasks])
    old = _vectors(embedder, [t.statement for t in earlier])
    dups = _duplicates(tasks, earlier, vectors, old)
    seed_vectors = _vectors(embedder, [s.statement for s in eval_seeds])
    seed_grams = [ngrams(f"{s.statement} {s.solution or ''}") for s in eval_seeds]
    out = []
    for task, vector, (dup, dup_sim) in zip(tasks, vectors, dups, strict=True):
        screening = Screening(duplicate_of=dup, duplicate_similarity=dup_sim)
        if eval_seeds:
            sims = seed_vectors @ vector
            grams = ngrams(f"{task.statement} {task.reference_solution}")
            shared = [len(grams & g) for g in seed_grams]
            nearest = int(np.argmax(sims))
            most = int(np.argmax(shared))
            screening = screening.model_copy(
                update={
                    "nearest_eval_seed": eval_seeds[nearest].id,
                    "eval_cosine": round(float(sims[nearest]), 4),
                    "eval_ngrams": shared[most],
                    "eval_ngram_seed": eval_seeds[most].id if shared[most] else None,
                    "contaminated": bool(shared[most] > 0 or sims[nearest] >= CONTAMINATION_COSINE),
                }
            )
        out.append(task.model_copy(update={"screening": screening}))
    return out
