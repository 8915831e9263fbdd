"""Compiled pair kernels: neighbourhood overlap and co-occurrence of many atom pairs.

Numba compiles :func:`pair_evidence`'s loop on first use (and caches the machine code
beside this module, so later processes only load it). The loop walks each pair's rows of
the symmetric co-occurrence table once: it marks the first atom's neighbours in a bitset
(kept while consecutive pairs share that atom) and counts the second atom's neighbours
that are marked. scipy has no sampled sparse product, and the element-wise product of
two gathered row blocks it offers costs three times as much on the sampler's graphs
(``benchmarks/sampler_perf.py``).

>>> import scipy.sparse as sp
>>> table = sp.csr_matrix(np.array([[0, 2, 1, 0], [2, 0, 1, 1], [1, 1, 0, 0], [0, 1, 0, 0]]))
>>> cosine, count = pair_evidence(table, np.array([0, 0, 2]), np.array([1, 3, 3]))
>>> np.round(cosine, 3).tolist(), count.tolist()
([0.408, 0.707, 0.707], [2.0, 0.0, 0.0])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import scipy.sparse as sp

__all__ = ["Neighbours", "pair_evidence"]


def _evidence_loop(indptr, indices, values, scale, i, j, cosine, count, bits):
    """The compiled loop (plain Python until :func:`_compiled` hands it to numba)."""
    one = np.uint64(1)
    marked = -1
    for p in range(len(i)):
        a, b = i[p], j[p]
        if a != marked:
            if marked >= 0:
                for q in range(indptr[marked], indptr[marked + 1]):
                    bits[indices[q] >> 6] = 0
            for q in range(indptr[a], indptr[a + 1]):
                bits[indices[q] >> 6] |= one << np.uint64(indices[q] & 63)
            marked = a
        shared = 0
        for q in range(indptr[b], indptr[b + 1]):
            shared += (bits[indices[q] >> 6] >> np.uint64(indices[q] & 63)) & one
        cosine[p] = shared * scale[a] * scale[b]
        lo, hi = indptr[a], indptr[a + 1]
        while lo < hi:  # b's position in a's sorted row
            mid = (lo + hi) >> 1
            if indices[mid] < b:
                lo = mid + 1
            else:
                hi = mid
        count[p] = values[lo] if lo < indptr[a + 1] and indices[lo] == b else 0.0
    if marked >= 0:
        for q in range(indptr[marked], indptr[marked + 1]):
            bits[indices[q] >> 6] = 0


@cache
def _compiled() -> Callable[..., None]:
    import numba  # imported on first use: the CLI's other commands never pay for it

    return numba.njit(cache=True, nogil=True)(_evidence_loop)


@dataclass(frozen=True)
class Neighbours:
    """A symmetric co-occurrence table (no diagonal, no explicit zeros) as the kernel
    reads it: sorted CSR rows, their values, and ``1/sqrt(degree)`` per atom."""

    indptr: np.ndarray
    indices: np.ndarray
    values: np.ndarray
    scale: np.ndarray

    @classmethod
    def of(cls, table: sp.csr_matrix | sp.csr_array) -> Neighbours:
        csr = sp.csr_matrix(table, dtype=np.float64)
        csr.sort_indices()
        degree = np.diff(csr.indptr)
        scale = np.where(degree > 0, 1.0 / np.sqrt(np.maximum(degree, 1)), 0.0)
        return cls(csr.indptr, csr.indices, csr.data, scale)

    def evidence(self, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Neighbourhood cosine and table value of each pair ``(i[p], j[p])``: shared
        neighbours over the geometric mean of the two degrees (0 for an atom without
        neighbours). Pairs that share their first atom with the pair before are cheapest."""
        i = np.ascontiguousarray(i, dtype=np.int64).ravel()
        j = np.ascontiguousarray(j, dtype=np.int64).ravel()
        cosine, count = np.empty(len(i)), np.empty(len(i))
        if len(i):
            bits = np.zeros(len(self.scale) // 64 + 1, dtype=np.uint64)
            _compiled()(
                self.indptr, self.indices, self.values, self.scale, i, j, cosine, count, bits
            )
        return cosine, count


def pair_evidence(
    table: sp.csr_matrix | sp.csr_array, i: np.ndarray, j: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:meth:`Neighbours.evidence` of the pairs over ``table`` (built for this call)."""
    return Neighbours.of(table).evidence(i, j)
