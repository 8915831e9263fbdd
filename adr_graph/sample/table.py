"""A symmetric sparse table of atom-pair values, looked up for many pairs at once."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["PairTable"]


class PairTable:
    """A symmetric sparse table of pair values with vectorised lookup.

    >>> t = PairTable.from_pairs(4, np.array([0, 2]), np.array([1, 3]), np.array([5.0, 1.0]))
    >>> t.lookup(np.array([1, 3, 0]), np.array([0, 2, 3])).tolist()
    [5.0, 1.0, 0.0]
    """

    SPARSE_LOOKUP = 512  # from this many pairs on, look up in a CSR copy (row search)

    def __init__(self, n: int, keys: np.ndarray, values: np.ndarray) -> None:
        self.n = n
        order = np.argsort(keys, kind="stable")
        self.keys = keys[order].astype(np.int64)
        self.values = values[order]
        self._csr: sp.csr_array | None = None

    def symmetric(self) -> sp.csr_array:
        """Both triangles as a CSR array, built on first use: scipy's per-row search
        beats one global ``searchsorted`` over all keys once lookups are many."""
        if self._csr is None:
            lo, hi = np.divmod(self.keys, self.n)
            off = lo != hi
            rows, cols = np.concatenate([lo, hi[off]]), np.concatenate([hi, lo[off]])
            vals = np.concatenate([self.values, self.values[off]]).astype(np.float64)
            csr = sp.csr_array((vals, (rows, cols)), shape=(self.n, self.n))
            csr.sum_duplicates()
            self._csr = csr
        return self._csr

    @classmethod
    def from_pairs(cls, n: int, i: np.ndarray, j: np.ndarray, v: np.ndarray) -> PairTable:
        lo, hi = np.minimum(i, j).astype(np.int64), np.maximum(i, j).astype(np.int64)
        keys = lo * n + hi
        uniq, inverse = np.unique(keys, return_inverse=True)
        summed = np.zeros(len(uniq), dtype=np.float64)
        np.add.at(summed, inverse, v)
        return cls(n, uniq, summed)

    @classmethod
    def from_matrix(cls, matrix: sp.spmatrix) -> PairTable:
        upper = sp.triu(sp.coo_matrix(matrix), k=1).tocoo()
        return cls.from_pairs(matrix.shape[0], upper.row, upper.col, upper.data.astype(float))

    def lookup(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        if len(self.keys) == 0:
            return np.zeros(np.broadcast(i, j).shape, dtype=np.float64)
        if np.size(i) >= self.SPARSE_LOOKUP:
            i, j = np.broadcast_arrays(np.asarray(i, np.int64), np.asarray(j, np.int64))
            found = self.symmetric()[i.ravel(), j.ravel()]
            return np.asarray(found, dtype=np.float64).reshape(i.shape)
        lo, hi = np.minimum(i, j).astype(np.int64), np.maximum(i, j).astype(np.int64)
        keys = lo * self.n + hi
        pos = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        found = self.keys[pos] == keys
        return np.where(found, self.values[pos], 0.0)

    def __len__(self) -> int:
        return len(self.keys)
