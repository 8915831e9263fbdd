"""The compiled pair kernel against a plain set-based computation of the same formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from adr_graph.sample import kernels
from adr_graph.sample.features import binary_adjacency
from adr_graph.sample.kernels import EmpiricalCDF, Neighbours, pair_evidence
from adr_graph.sample.table import PairTable


def _by_sets(n: int, edges: dict[tuple[int, int], float], i: np.ndarray, j: np.ndarray):
    nbrs: list[set[int]] = [set() for _ in range(n)]
    for a, b in edges:
        nbrs[a].add(b)
        nbrs[b].add(a)
    cos, count = [], []
    for a, b in zip(i.tolist(), j.tolist(), strict=True):
        na, nb = nbrs[a], nbrs[b]
        cos.append(len(na & nb) / math.sqrt(len(na) * len(nb)) if na and nb else 0.0)
        count.append(edges.get((min(a, b), max(a, b)), 0.0))
    return np.array(cos), np.array(count)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10**6), st.integers(2, 200), st.integers(0, 600))
def test_the_kernel_matches_set_intersections(seed: int, n: int, n_edges: int) -> None:
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, n, n_edges), rng.integers(0, n, n_edges)
    keep = a != b  # a co-occurrence table has no diagonal
    table = PairTable.from_pairs(n, a[keep], b[keep], rng.integers(1, 9, int(keep.sum())) * 1.0)
    edges = {
        (int(k // n), int(k % n)): float(v) for k, v in zip(table.keys, table.values, strict=True)
    }
    # runs of a shared first atom (the kernel keeps its marks), self pairs, isolated atoms
    i = np.repeat(rng.integers(0, n, 40), rng.integers(1, 6, 40))
    j = rng.integers(0, n, len(i))
    j[::7] = i[::7]
    cosine, count = Neighbours.of(table.symmetric()).evidence(i, j)
    want_cos, want_count = _by_sets(n, edges, i, j)
    np.testing.assert_allclose(cosine, want_cos, atol=1e-12)
    np.testing.assert_array_equal(count, want_count)
    np.testing.assert_array_equal(count, table.lookup(i, j))


def test_unsorted_rows_and_empty_input() -> None:
    dense = np.array([[0, 3, 1], [3, 0, 0], [1, 0, 0]], dtype=float)
    table = sp.csr_matrix(dense)
    table.indices[:2] = table.indices[:2][::-1].copy()  # row 0 stored out of order
    table.data[:2] = table.data[:2][::-1].copy()
    table.has_sorted_indices = False
    cosine, count = pair_evidence(table, np.array([0, 1]), np.array([1, 2]))
    assert count.tolist() == [3.0, 0.0]
    assert cosine.tolist() == [0.0, 1.0]  # 1 and 2 share their one neighbour, 0
    empty = pair_evidence(table, np.zeros(0, np.int64), np.zeros(0, np.int64))
    assert [len(x) for x in empty] == [0, 0]


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10**6), st.integers(2, 6), st.integers(1, 9))
def test_blocks_and_sets_agree_with_single_pairs(seed: int, t: int, width: int) -> None:
    rng = np.random.default_rng(seed)
    n = 80
    a, b = rng.integers(0, n, 400), rng.integers(0, n, 400)
    keep = a != b
    table = PairTable.from_pairs(n, a[keep], b[keep], np.ones(int(keep.sum())))
    kernel = Neighbours.of(table.symmetric())
    rows, cols = rng.integers(0, n, (7, t)), rng.integers(0, n, (7, width))
    cosine, count = kernel.among(rows, cols)
    shape = (7, t, width)
    flat_i = np.broadcast_to(rows[:, :, None], shape).ravel()
    flat_j = np.broadcast_to(cols[:, None, :], shape).ravel()
    want_cos, want_count = kernel.evidence(flat_i, flat_j)
    np.testing.assert_allclose(cosine.ravel(), want_cos, atol=1e-12)
    np.testing.assert_array_equal(count.ravel(), want_count)
    sets = rng.integers(0, n, (5, t))
    upper_i, upper_j = np.triu_indices(t, 1)
    cosine, count = kernel.within(sets)
    want_cos, want_count = kernel.evidence(sets[:, upper_i].ravel(), sets[:, upper_j].ravel())
    np.testing.assert_allclose(cosine, want_cos, atol=1e-12)
    np.testing.assert_array_equal(count, want_count)


def test_more_than_64_row_atoms_take_several_flag_blocks() -> None:
    rng = np.random.default_rng(3)
    n = 300
    a, b = rng.integers(0, n, 3_000), rng.integers(0, n, 3_000)
    keep = a != b
    table = PairTable.from_pairs(n, a[keep], b[keep], np.ones(int(keep.sum())))
    kernel = Neighbours.of(table.symmetric())
    sets = rng.integers(0, n, (3, 70))
    upper_i, upper_j = np.triu_indices(70, 1)
    cosine, count = kernel.within(sets)
    want_cos, want_count = kernel.evidence(sets[:, upper_i].ravel(), sets[:, upper_j].ravel())
    np.testing.assert_allclose(cosine, want_cos, atol=1e-12)
    np.testing.assert_array_equal(count, want_count)
    assert count.sum() > 0 and cosine.max() > 0  # the graph is dense enough to tell


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(-5, 5, allow_nan=False),
            st.sampled_from([0.0, 1.0, float("inf"), float("-inf"), float("nan")]),
        ),
        min_size=0,
        max_size=300,
    ),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=100),
)
def test_the_bucketed_cdf_equals_searchsorted(ref: list[float], values: list[float]) -> None:
    sample = np.sort(np.array(ref, dtype=np.float64))
    queries = np.concatenate([np.array(values, dtype=np.float64), sample, sample + 1e-12])
    cdf = EmpiricalCDF(sample)
    want = np.searchsorted(sample, queries, side="right") / max(len(sample), 1)
    np.testing.assert_array_equal(cdf(queries), want)


def test_the_bucketed_cdf_on_a_calibration_sized_sample() -> None:
    rng = np.random.default_rng(5)
    sample = np.sort(np.concatenate([np.zeros(5_000), rng.lognormal(size=15_000)]))
    queries = np.concatenate([rng.lognormal(size=50_000), sample, np.nextafter(sample, 0)])
    want = np.searchsorted(sample, queries, side="right") / len(sample)
    np.testing.assert_array_equal(EmpiricalCDF(sample)(queries), want)


def test_an_index_out_of_range_raises_instead_of_reading_past_the_table() -> None:
    kernel = Neighbours.of(sp.csr_matrix(np.array([[0, 1], [1, 0]], dtype=float)))
    for bad in (2, -1):
        with pytest.raises(IndexError, match=r"0\.\.1"):
            kernel.evidence(np.array([0]), np.array([bad]))
        with pytest.raises(IndexError):
            kernel.within(np.array([[bad, 0]]))


@pytest.mark.parametrize(
    "sample",
    [[0.0, 5e-324], [-1.7e308, 1.7e308], [2.0, 2.0, 2.0], [-np.inf, 0.0, np.inf, np.nan]],
)
def test_the_cdf_of_ranges_too_narrow_or_wide_for_buckets(sample: list[float]) -> None:
    ref = np.sort(np.array(sample))
    queries = np.array([-np.inf, -1e308, -1.0, 0.0, 5e-324, 1.0, 2.0, 1e308, np.inf, np.nan])
    want = np.searchsorted(ref, queries, side="right") / len(ref)
    np.testing.assert_array_equal(EmpiricalCDF(ref)(queries), want)


def test_indices_past_uint16_keep_their_value() -> None:
    n = 70_000  # too many atoms for 16-bit neighbour indices
    table = PairTable.from_pairs(
        n, np.array([0, 0, 69_999]), np.array([69_999, 66_000, 66_000]), np.array([2.0, 1, 1])
    )
    kernel = Neighbours.of(table.symmetric())
    assert kernel.indices.dtype == np.int32
    cosine, count = kernel.evidence(np.array([0, 69_999]), np.array([69_999, 0]))
    assert count.tolist() == [2.0, 2.0]
    np.testing.assert_allclose(cosine, [0.5, 0.5])  # each shares atom 66000 of its two


def test_the_loops_mean_the_same_interpreted_as_compiled() -> None:
    """The loops are plain Python until numba compiles them: run them as written too (this
    is also what coverage sees of them)."""
    rng = np.random.default_rng(9)
    n = 50
    a, b = rng.integers(0, n, 200), rng.integers(0, n, 200)
    keep = a != b
    kernel = Neighbours.of(
        PairTable.from_pairs(n, a[keep], b[keep], np.ones(keep.sum())).symmetric()
    )
    rows, cols = rng.integers(0, n, (4, 3)), rng.integers(0, n, (4, 5))
    out = np.zeros((2, 4, 3, 5))
    marks, bit = np.zeros(n, np.uint8), np.array([1, 2, 4], np.uint8)
    kernels._block_loop(
        kernel.indptr, kernel.indices, kernel.values, kernel.scale, rows, cols, -1,
        out[0], out[1], marks, bit,
    )  # fmt: skip
    compiled = kernel.among(rows, cols)
    np.testing.assert_allclose(out[0], compiled[0], atol=1e-12)
    np.testing.assert_array_equal(out[1], compiled[1])
    assert not marks.any()  # the loop clears its flags
    cdf = EmpiricalCDF(np.sort(rng.random(300)))
    values = np.concatenate([rng.random(40) * 1.2 - 0.1, [np.nan]])
    counted = np.zeros(len(values), dtype=np.int64)
    kernels._cdf_loop(cdf.ref, cdf.starts, cdf.low, cdf.width, values, counted)
    np.testing.assert_array_equal(counted / len(cdf.ref), cdf(values))


def test_the_basis_is_the_row_scaled_adjacency_whose_gram_is_the_cosine() -> None:
    rng = np.random.default_rng(11)
    n = 40
    a, b = rng.integers(0, n, 150), rng.integers(0, n, 150)
    keep = a != b
    table = PairTable.from_pairs(n, a[keep], b[keep], rng.integers(1, 5, int(keep.sum())) * 1.0)
    kernel = Neighbours.of(table.symmetric())
    adjacency = binary_adjacency(table.symmetric())
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    want = sp.diags(np.where(degree > 0, 1 / np.sqrt(np.maximum(degree, 1)), 0.0)) @ adjacency
    np.testing.assert_allclose(kernel.basis().toarray(), want.toarray())
    gram = (kernel.basis() @ kernel.basis().T).toarray()
    i, j = np.triu_indices(n, 1)
    np.testing.assert_allclose(gram[i, j], kernel.evidence(i, j)[0], atol=1e-12)
