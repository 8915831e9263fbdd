"""Co-occurrence statistics from a seed x atom incidence matrix (scipy.sparse).

Counts come from one sparse product ``A.T @ A``; no Python loop over pairs.

>>> import numpy as np
>>> inc = incidence_matrix([[0, 1], [0, 1, 2], [2]], n_atoms=3)
>>> counts, freq = cooccurrence_counts(inc)
>>> counts.toarray().tolist()  # diagonal = frequency
[[2, 2, 1], [2, 2, 1], [1, 1, 2]]
>>> freq.tolist()
[2, 2, 2]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

__all__ = ["association", "cooccurrence_counts", "incidence_matrix", "n_pairs", "pmi_npmi"]


def incidence_matrix(memberships: Sequence[Sequence[int]], n_atoms: int) -> sp.csr_matrix:
    """Binary seeds x atoms CSR matrix; repeated atoms inside a seed count once.

    Parameters
    ----------
    memberships : one sequence of atom column indices per seed.
    n_atoms : number of columns.
    """
    lengths = np.fromiter((len(m) for m in memberships), dtype=np.int64, count=len(memberships))
    indptr = np.zeros(len(memberships) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    indices = np.fromiter(
        (i for m in memberships for i in m), dtype=np.int32, count=int(indptr[-1])
    )
    data = np.ones(len(indices), dtype=np.int32)
    matrix = sp.csr_matrix((data, indices, indptr), shape=(len(memberships), n_atoms))
    matrix.sum_duplicates()
    if matrix.nnz and matrix.data.max() > 1:
        matrix.data[:] = 1
    return matrix


def cooccurrence_counts(incidence: sp.csr_matrix) -> tuple[sp.csr_matrix, np.ndarray]:
    """Symmetric atom x atom co-occurrence counts and atom frequencies.

    ``counts[i, j]`` (``i != j``) is the number of seeds holding both atoms. The
    diagonal is kept as it falls out of ``A.T @ A`` (it equals ``freq``): stripping it
    would cost as much again as the product. ``freq[i]`` is the number of seeds
    holding atom ``i``.
    """
    incidence = sp.csr_matrix(incidence, dtype=np.int32)
    gram = incidence.T @ incidence  # CSC; symmetric, so its arrays read as CSR are itself
    counts = sp.csr_matrix((gram.data, gram.indices, gram.indptr), shape=gram.shape)
    freq = np.asarray(counts.diagonal()).astype(np.int64)
    return counts, freq


def n_pairs(counts: sp.csr_matrix) -> int:
    """Number of distinct co-occurring atom pairs (off-diagonal entries / 2).

    >>> counts, _ = cooccurrence_counts(incidence_matrix([[0, 1, 2]], 3))
    >>> n_pairs(counts)
    3
    """
    on_diagonal = int(np.count_nonzero(counts.diagonal()))
    return (counts.nnz - on_diagonal) // 2


def pmi_npmi(
    count: np.ndarray, freq_a: np.ndarray, freq_b: np.ndarray, n_seeds: int
) -> tuple[np.ndarray, np.ndarray]:
    """PMI and NPMI of pairs with ``count > 0``.

    ``pmi = log(c N / (f_a f_b))``; ``npmi = pmi / -log(c / N)``, and 1.0 where
    ``c == N`` (the pair is in every seed).

    >>> pmi, npmi = pmi_npmi(np.array([1]), np.array([1]), np.array([1]), 4)
    >>> round(float(pmi[0]), 4), round(float(npmi[0]), 4)
    (1.3863, 1.0)
    """
    c = count.astype(np.float64)
    # one product of the two frequencies keeps pmi(a, b) == pmi(b, a) bit for bit
    pmi = np.log(c * n_seeds / (freq_a.astype(np.float64) * freq_b.astype(np.float64)))
    denom = -np.log(c / n_seeds)
    with np.errstate(divide="ignore", invalid="ignore"):
        npmi = np.where(denom > 0, pmi / np.where(denom > 0, denom, 1.0), 1.0)
    return pmi, npmi


def association(
    counts: sp.csr_matrix, freq: np.ndarray, n_seeds: int
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """PMI and NPMI matrices over the off-diagonal pattern of ``counts``."""
    coo = sp.triu(counts, k=1).tocoo()
    pmi, npmi = pmi_npmi(coo.data, freq[coo.row], freq[coo.col], n_seeds)
    rows = np.concatenate([coo.row, coo.col])
    cols = np.concatenate([coo.col, coo.row])
    shape = counts.shape
    return (
        sp.csr_matrix((np.concatenate([pmi, pmi]), (rows, cols)), shape=shape),
        sp.csr_matrix((np.concatenate([npmi, npmi]), (rows, cols)), shape=shape),
    )
