"""Sampling rarely-combined but compatible atom sets, and the baselines."""

from __future__ import annotations

from .build import COMPATIBILITY_KINDS, compatibility_summary, model_from_store, split_seeds
from .model import CompatibilityWeights, PairModel, PairTable
from .search import STRATEGIES, ObjectiveWeights, SetScores, score_sets, slot_template
from .sets import SampleStats, sample_sets

__all__ = [
    "COMPATIBILITY_KINDS",
    "STRATEGIES",
    "CompatibilityWeights",
    "ObjectiveWeights",
    "PairModel",
    "PairTable",
    "SampleStats",
    "SetScores",
    "compatibility_summary",
    "model_from_store",
    "sample_sets",
    "score_sets",
    "slot_template",
    "split_seeds",
]
