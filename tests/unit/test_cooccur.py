"""Co-occurrence counts and PMI/NPMI against brute force on random incidence."""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from adr_graph.store.cooccur import (
    association,
    cooccurrence_counts,
    incidence_matrix,
    n_pairs,
    pmi_npmi,
)

memberships_st = st.integers(min_value=1, max_value=12).flatmap(
    lambda n_atoms: st.tuples(
        st.just(n_atoms),
        st.lists(st.lists(st.integers(0, n_atoms - 1), max_size=6), min_size=1, max_size=25),
    )
)


def brute_force(memberships: list[list[int]]) -> dict[tuple[int, int], int]:
    pairs: dict[tuple[int, int], int] = {}
    for row in memberships:
        for a, b in itertools.combinations(sorted(set(row)), 2):
            pairs[(a, b)] = pairs.get((a, b), 0) + 1
    return pairs


@given(memberships_st)
@settings(max_examples=200, deadline=None)
def test_counts_match_brute_force(case: tuple[int, list[list[int]]]) -> None:
    n_atoms, memberships = case
    counts, freq = cooccurrence_counts(incidence_matrix(memberships, n_atoms))
    expected = brute_force(memberships)
    dense = counts.toarray()
    for a in range(n_atoms):
        assert freq[a] == sum(1 for row in memberships if a in row)
        assert dense[a, a] == freq[a]
        for b in range(n_atoms):
            if a != b:
                assert dense[a, b] == expected.get((min(a, b), max(a, b)), 0)
    assert n_pairs(counts) == len(expected)


@given(memberships_st)
@settings(max_examples=100, deadline=None)
def test_association_matches_formula(case: tuple[int, list[list[int]]]) -> None:
    n_atoms, memberships = case
    counts, freq = cooccurrence_counts(incidence_matrix(memberships, n_atoms))
    n = len(memberships)
    pmi, npmi = association(counts, freq, n)
    for (a, b), c in brute_force(memberships).items():
        want = math.log(c * n / (freq[a] * freq[b]))
        assert math.isclose(pmi[a, b], want, abs_tol=1e-9)
        assert math.isclose(pmi[b, a], want, abs_tol=1e-9)
        want_n = 1.0 if c == n else want / -math.log(c / n)
        assert math.isclose(npmi[a, b], want_n, abs_tol=1e-9)
        assert -1.0 - 1e-9 <= npmi[a, b] <= 1.0 + 1e-9


def test_duplicate_atoms_in_a_seed_count_once() -> None:
    counts, freq = cooccurrence_counts(incidence_matrix([[0, 0, 1, 1]], 2))
    assert counts[0, 1] == 1
    assert freq.tolist() == [1, 1]


def test_independent_pair_has_zero_pmi() -> None:
    pmi, npmi = pmi_npmi(np.array([25]), np.array([50]), np.array([50]), 100)
    assert abs(pmi[0]) < 1e-12 and abs(npmi[0]) < 1e-12


def test_empty_incidence() -> None:
    counts, freq = cooccurrence_counts(incidence_matrix([[]], 3))
    assert counts.nnz == 0 and freq.tolist() == [0, 0, 0] and n_pairs(counts) == 0
