"""OpenRLHF's custom reward file: ``--remote_rm_url <path of this file>``.

OpenRLHF (0.11) loads a ``.py`` reward endpoint with ``importlib`` and calls its
``reward_func(queries, prompts, labels)`` from a thread for each rollout
(``openrlhf/utils/agent.py``, ``SingleTurnAgentExecutor``); it reads ``rewards``,
``scores`` and ``extra_logs`` from the returned dict. Train on ``adr-graph export --format
hf`` with ``--data.input_key prompt --data.label_key ground_truth``: each label is a
ground truth that :func:`adr_graph.reward.compute_score` scores.
"""

from __future__ import annotations

from typing import Any

from adr_graph.reward import compute_score

__all__ = ["reward_func"]


def reward_func(
    queries: list[str], prompts: list[str], labels: list[str], **kwargs: Any
) -> dict[str, Any]:
    """Scores (share of tests passed) of each query's completion against its label."""
    scores, passed = [], []
    for query, prompt, label in zip(queries, prompts, labels, strict=True):
        completion = query[len(prompt) :] if query.startswith(prompt) else query
        result = compute_score("openrlhf", completion, label, **kwargs)
        scores.append(float(result["score"]))
        passed.append(float(result["passed"]))
    try:
        import torch
    except ImportError:  # pragma: no cover - OpenRLHF always has torch
        return {"rewards": scores, "scores": scores, "extra_logs": {"tests_passed": passed}}
    rewards = torch.tensor(scores)
    return {
        "rewards": rewards,
        "scores": rewards,
        "extra_logs": {"tests_passed": torch.tensor(passed)},
    }
