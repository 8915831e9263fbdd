"""Compiled pair kernels: neighbourhood overlap and co-occurrence of many atom pairs, and
the calibrated CDF lookup.

Numba compiles the two loops here on first use (about 2 s) and caches the machine code
beside this module, so later processes only load it. The pair loop takes a block at a
time (a few row atoms, many column atoms): it flags each row atom's neighbours with a bit
of its own, then reads each column atom's neighbour list once and counts the flagged
entries for every row atom at once; the table value of a pair is a binary search in the
row atom's sorted neighbours. scipy has no sampled sparse product, and the element-wise
product of two gathered row blocks that it offers cost several times as much on the
sampler's graphs (``benchmarks/sampler_perf.py``). The CDF loop searches a value's
bucket of the sorted reference sample instead of the whole sample.

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

__all__ = ["EmpiricalCDF", "Neighbours", "pair_evidence"]


def _block_loop(indptr, indices, values, scale, rows, cols, first, cosine, count, marks, bit):
    """The compiled loop (plain Python until :func:`_compiled` hands it to numba): per
    group, flag each row atom's neighbours with the row's bit, then read each column
    atom's neighbours once; most carry no flag and cost one load. ``first`` is -1 for every
    (row, column) pair, else the set position of row 0 when the rows are a set's atoms
    ``first, first + 1, ...`` and column ``p`` its atom ``p + 1``: only pairs before the
    diagonal are computed."""
    n_rows = rows.shape[1]
    shared = np.zeros(n_rows, dtype=np.int64)
    for g in range(rows.shape[0]):
        for x in range(n_rows):
            for q in range(indptr[rows[g, x]], indptr[rows[g, x] + 1]):
                marks[indices[q]] |= bit[x]
        for p in range(cols.shape[1]):
            b = cols[g, p]
            top = min(p + 1 - first, n_rows) if first >= 0 else n_rows
            shared[:] = 0
            for q in range(indptr[b], indptr[b + 1]):
                flags = marks[indices[q]]
                if flags:
                    for x in range(top):
                        if flags & bit[x]:
                            shared[x] += 1
            for x in range(top):
                a = rows[g, x]
                cosine[g, x, p] = shared[x] * scale[a] * scale[b]
                lo, hi = indptr[a], indptr[a + 1]
                while lo < hi:  # b's position in a's sorted row
                    mid = (lo + hi) >> 1
                    if indices[mid] < b:
                        lo = mid + 1
                    else:
                        hi = mid
                count[g, x, p] = values[lo] if lo < indptr[a + 1] and indices[lo] == b else 0.0
        for x in range(n_rows):
            for q in range(indptr[rows[g, x]], indptr[rows[g, x] + 1]):
                marks[indices[q]] = 0


def _cdf_loop(ref, starts, low, width, values, out):
    """Per value, the number of ``ref`` entries at or below it: a binary search inside
    the value's bucket and its two neighbours (a float rounding may shift the bucket)."""
    n, buckets = len(ref), len(starts) - 1
    for p in range(len(values)):
        v = values[p]
        if not v >= ref[0]:  # below the sample, or NaN (searchsorted puts NaN last)
            out[p] = 0 if v == v else n
            continue
        lo, hi = 0, n  # the whole sample when its range gives no usable bucket width
        if width > 0:
            t = (v - low) / width
            b = buckets - 1 if not t < buckets else max(int(t), 0)
            lo, hi = (starts[b - 1] if b > 0 else 0), starts[min(b + 2, buckets)]
        while lo < hi:
            mid = (lo + hi) >> 1
            if ref[mid] <= v:
                lo = mid + 1
            else:
                hi = mid
        out[p] = lo


@cache
def _compiled(loop: Callable[..., None] = _block_loop) -> Callable[..., None]:
    import numba  # imported on first use: the CLI's other commands never pay for it

    try:
        return numba.njit(cache=True, nogil=True)(loop)
    except RuntimeError:  # no writable cache location (read-only install, no home): compile
        return numba.njit(cache=False, nogil=True)(loop)


class EmpiricalCDF:
    """Share of a reference sample at or below each value, as
    ``numpy.searchsorted(ref, values, side="right") / len(ref)`` gives it, with a bucket
    index over the sample's range so that a lookup searches a few entries, not all.

    >>> cdf = EmpiricalCDF(np.array([0.0, 0.0, 0.5, 1.0]))
    >>> cdf(np.array([-1.0, 0.0, 0.7, 1.0, 3.0])).tolist()
    [0.0, 0.5, 0.75, 1.0, 1.0]
    """

    BUCKETS = 1024

    def __init__(self, ref: np.ndarray) -> None:
        self.ref = np.sort(np.asarray(ref, dtype=np.float64))
        finite = self.ref[np.isfinite(self.ref)]
        self.low = float(finite[0]) if len(finite) else 0.0
        span = float(finite[-1]) - self.low if len(finite) else 0.0
        width = span / self.BUCKETS
        self.width = width if np.isfinite(width) and width > 0 else 0.0
        edges = self.low + self.width * np.arange(self.BUCKETS + 1)
        self.starts = np.searchsorted(self.ref, edges, side="right").astype(np.int64)
        self.starts[-1] = len(self.ref)

    def __call__(self, values: np.ndarray) -> np.ndarray:
        values = np.ascontiguousarray(values, dtype=np.float64)
        if not len(self.ref) or not len(values):
            return np.zeros(len(values))
        out = np.empty(len(values), dtype=np.int64)
        _compiled(_cdf_loop)(self.ref, self.starts, self.low, self.width, values, out)
        return out / len(self.ref)


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
        # the loop streams neighbour lists: the narrowest index type halves or quarters that
        narrow = np.uint16 if csr.shape[1] <= 1 << 16 else np.int32
        indptr = csr.indptr.astype(np.int64)
        return cls(indptr, csr.indices.astype(narrow), csr.data, scale)

    def basis(self) -> sp.csr_matrix:
        """The 0/1 adjacency with each row scaled by its ``1/sqrt(degree)``."""
        n = len(self.scale)
        rows = np.repeat(self.scale, np.diff(self.indptr))
        return sp.csr_matrix((rows, self.indices.astype(np.int32), self.indptr), shape=(n, n))

    def evidence(self, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Neighbourhood cosine and table value of each pair ``(i[p], j[p])``: shared
        neighbours over the geometric mean of the two degrees (0 for an atom without
        neighbours)."""
        i = np.asarray(i, dtype=np.int64).ravel()
        j = np.asarray(j, dtype=np.int64).ravel()
        cosine, count = self.among(i[:, None], j[:, None])
        return cosine.ravel(), count.ravel()

    def among(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`evidence` of every ``(rows[g, x], cols[g, p])``, as two ``(g, x, p)``
        arrays: each column atom's neighbours are read once for all the group's rows."""
        return self._run(rows, cols, upper=False)

    def within(self, sets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`evidence` of the pairs inside each row of ``sets``, flat, set by set,
        pairs in ``numpy.triu_indices(k, 1)`` order."""
        k = sets.shape[1]
        if k < 2:
            return np.zeros(0), np.zeros(0)
        cosine, count = self._run(sets[:, :-1], sets[:, 1:], upper=True)
        a, b = np.triu_indices(k, 1)
        return cosine[:, a, b - 1].ravel(), count[:, a, b - 1].ravel()

    def _run(
        self, rows: np.ndarray, cols: np.ndarray, upper: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """Blocks of at most 64 row atoms (one bit each in the neighbour flags)."""
        rows = np.ascontiguousarray(rows, dtype=np.int64)
        cols = np.ascontiguousarray(cols, dtype=np.int64)
        shape = (rows.shape[0], rows.shape[1], cols.shape[1])
        cosine, count = np.zeros(shape), np.zeros(shape)
        if not cosine.size:
            return cosine, count
        for atoms in (rows, cols):  # the compiled loop reads memory unchecked
            if atoms.min() < 0 or atoms.max() >= len(self.scale):
                raise IndexError(f"atom index out of range 0..{len(self.scale) - 1}")
        kernel = _compiled()
        for start in range(0, rows.shape[1], 64):
            block = np.ascontiguousarray(rows[:, start : start + 64])
            flag = next(t for t in (np.uint8, np.uint16, np.uint32, np.uint64)
                        if np.iinfo(t).bits >= block.shape[1])  # fmt: skip
            marks = np.zeros(len(self.scale), dtype=flag)
            bit = (np.uint64(1) << np.arange(block.shape[1], dtype=np.uint64)).astype(flag)
            parts = np.zeros((2, *block.shape, cols.shape[1]))
            kernel(self.indptr, self.indices, self.values, self.scale, block, cols,
                   start if upper else -1, parts[0], parts[1], marks, bit)  # fmt: skip
            cosine[:, start : start + 64], count[:, start : start + 64] = parts
        return cosine, count


def pair_evidence(
    table: sp.csr_matrix | sp.csr_array, i: np.ndarray, j: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:meth:`Neighbours.evidence` of the pairs over ``table`` (built for this call)."""
    return Neighbours.of(table).evidence(i, j)
