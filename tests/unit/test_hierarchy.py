"""The atom space: canonical constraints, the hierarchy data, its placement, grains,
descriptions and the hybrid fold."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from adr_graph.errors import SchemaError
from adr_graph.extract.complexity import canonical_big_o
from adr_graph.extract.constraints import find_constraints
from adr_graph.extract.hybrid import HybridStats, KnownNames, combine, is_thin, surface_key
from adr_graph.extract.patterns import TECHNIQUE_ORDER
from adr_graph.extract.static import extract_static
from adr_graph.extract.structures import STRUCTURE_ORDER
from adr_graph.hierarchy import hierarchy_spec, load_hierarchies
from adr_graph.hierarchy.build import build_hierarchy
from adr_graph.hierarchy.describe import describe_atom
from adr_graph.hierarchy.grain import coarse_view, store_at_grain
from adr_graph.hierarchy.plan import plan_hierarchy
from adr_graph.lexicons import lexicon
from adr_graph.records import Atom, AtomCandidate, Seed
from adr_graph.sample import model_from_store
from adr_graph.schema import default_schema_dir, load_schemas
from adr_graph.store import EmbeddedStore, SeedAtoms

#: every big-O expression the real LeetCode / HumanEval / CodeI/O statements state
REAL_BIG_O = [
    "1", "n", "log n", "n^2", "log(n)", "m + n", "n log n", "n log(n)", "n^x", "0,0", "h",
    "height of tree", "n2", "rows x cols", "logn", "log (m+n)", "nums1.length + nums2.length",
    "k log(mn)", "nk", "sum of words[i].length", "rowIndex", "log(m * n)", "n * m",
    "n * max(words[i].length)", "mn", "nlog(n)", "n logn", "n log(k)", "m \u00d7 n",
]  # fmt: skip
_CANONICAL_TOKEN = re.compile(r"^(?:[nmkhVE1]|log|sqrt|[nm]\^\d|2\^[nm]|n!|\+|log\(.*\))$")


@pytest.mark.parametrize("expression", REAL_BIG_O)
def test_big_o_classes_use_only_canonical_variables(expression: str) -> None:
    found = canonical_big_o(expression)
    if found is None:
        return
    for token in found.replace("log(", " log(").split():
        assert _CANONICAL_TOKEN.match(token.strip("()")) or token.startswith("log("), (found, token)
    assert not re.search(r"nums|row|col|word|height|length", found)


def test_big_o_canonical_forms() -> None:
    assert canonical_big_o("nums1.length + nums2.length") == canonical_big_o("m + n") == "n + m"
    assert canonical_big_o("rows x cols") == canonical_big_o("n * m") == canonical_big_o("mn")
    assert canonical_big_o("nlog(n)") == canonical_big_o("n logn") == "n log n"
    assert canonical_big_o("V + E") == "V + E" and canonical_big_o("height of tree") == "h"
    assert canonical_big_o("0,0") is None and canonical_big_o("a b c") is None


def test_a_bound_takes_the_kind_named_next_to_it_not_on_the_next_line() -> None:
    keon = "Time: O(n)\n    Space: O(1)"  # the keon/algorithms docstring layout
    assert find_constraints(keon) == ["time complexity O(n)", "constant extra space"]
    both = "Solve it in O(n log n) time and O(n) extra memory."
    assert find_constraints(both) == ["time complexity O(n log n)", "space complexity O(n)"]
    union_find = "Time: O(\u03b1(n)) amortised per operation\nSpace: O(n)"
    assert find_constraints(union_find) == ["time complexity O(alpha(n))", "space complexity O(n)"]
    assert canonical_big_o("alpha(n)") == "alpha(n)" and canonical_big_o("f(n)") is None


def test_no_constraint_atom_is_named_after_a_variable() -> None:
    text = "Follow-up: O(nums1.length + nums2.length) time and O(rowIndex) extra space; O(0,0)."
    assert find_constraints(text) == ["time complexity O(n + m)", "space complexity O(n)"]


def test_every_name_the_static_extractor_can_make_has_a_group() -> None:
    spec = hierarchy_spec("algorithm")
    names = {("technique", t) for t in TECHNIQUE_ORDER} | {
        ("data_structure", d) for d in STRUCTURE_ORDER
    }
    for pairs in lexicon("algorithm").slot_maps["leetcode_topics"].values():
        names |= set(pairs)
    table = lexicon("algorithm").keywords["scenarios"]
    names |= {("scenario", label) for label in table.labels} | {("scenario", table.fallback or "")}
    names |= {("io_format", n) for n in ("function arguments and return", "class method",
                                         "stateful class design", "stdin stdout")}  # fmt: skip
    unplaced = sorted(n for n in names if spec.place(*n) is None)
    assert unplaced == []


def test_hierarchy_file_errors_name_the_file_and_field(tmp_path: Path) -> None:
    folder = tmp_path / "schema"
    folder.mkdir()
    for path in default_schema_dir().glob("*.json"):
        (folder / path.name).write_text(path.read_text())
    (folder / "hierarchy").mkdir()
    bad = folder / "hierarchy" / "algorithm.toml"
    bad.write_text(
        'version = 1\ndomain = "algorithm"\n[slots.technique]\ngrain = "g"\n'
        '[slots.technique.groups.x]\ndescription = "d"\narea = "nowhere"\n'
    )
    with pytest.raises(SchemaError, match=r"algorithm.toml: slots.technique.groups.x: area"):
        load_hierarchies(folder)
    bad.write_text(
        'version = 1\ndomain = "algorithm"\n[slots.technique]\ngrain = "g"\n'
        '[slots.technique.groups.x]\ndescription = "d"\npatterns = ["(unclosed"]\n'
    )
    with pytest.raises(SchemaError, match=r"field 'slots.technique.groups.x.patterns'"):
        load_hierarchies(folder)
    bad.write_text('version = 1\ndomain = "algorithm"\n[slots.nope]\ngrain = "g"\n')
    with pytest.raises(SchemaError, match="has no slot 'nope'"):
        load_hierarchies(folder)


def _tool(name: str, vector: list[float]) -> Atom:
    return Atom(id=f"tool_usage/tool/{name}", domain="tool_usage", slot="tool", name=name,
                embedding=vector)  # fmt: skip


def test_tools_group_by_namespace_then_by_embedding_cluster() -> None:
    atoms = [
        _tool("uber.ride", [1, 0, 0]),
        _tool("uber.eta", [0.9, 0.1, 0]),
        _tool("get-weather", [0, 1, 0]),
        _tool("weather-forecast", [0, 0.95, 0.05]),
        _tool("weather-alerts", [0.05, 0.9, 0]),
        _tool("stock-price", [0, 0, 1]),
    ]
    capability = {a.id: {"travel booking": 2} for a in atoms[:2]}
    capability |= {a.id: {"weather lookup": 1} for a in atoms[2:5]}
    plan = plan_hierarchy(atoms, capability=capability)  # type: ignore[arg-type]
    parents = {e.a: e.b for e in plan.edges}
    assert parents["tool_usage/tool/uber.ride"] == "tool_usage/tool/group:uber"
    assert parents["tool_usage/tool/get-weather"] == "tool_usage/tool/group:weather"
    assert parents["tool_usage/tool/weather-alerts"] == "tool_usage/tool/group:weather"
    assert parents["tool_usage/tool/group:uber"] == "tool_usage/tool/area:travel-booking"
    assert parents["tool_usage/tool/group:weather"] == "tool_usage/tool/area:weather-lookup"
    # orthogonal to every family: below the attach threshold, so it stays unplaced
    assert plan.unplaced == ["tool_usage/tool/stock-price"]
    assert plan.placed_by == {"namespace": 2, "cluster": 3}


_TIED_PLAN = """
from collections import Counter
from adr_graph.hierarchy.plan import cluster_names, plan_hierarchy
from adr_graph.records import Atom
tools = [("alpha-beta", [1, 0]), ("beta-alpha", [0.99, 0.01]), ("gamma-delta", [0.98, 0.02])]
atoms = [Atom(id=f"tool_usage/tool/{n}", domain="tool_usage", slot="tool", name=n,
              embedding=v) for n, v in tools]
tie = {a.id: Counter({"search": 1, "book": 1}) for a in atoms}
plan = plan_hierarchy(atoms, capability=tie)
print(cluster_names(["x-y", "y-x"]), sorted((e.a, e.b) for e in plan.edges))
"""


def test_group_names_do_not_depend_on_the_hash_seed() -> None:
    """Ties between name tokens (or capabilities) are broken by the name, never by set or
    dict order: two runs of ``adr-graph run`` must build the same hierarchy."""
    import subprocess
    import sys

    outputs = set()
    for hash_seed in ("1", "2", "3"):
        done = subprocess.run(
            [sys.executable, "-c", _TIED_PLAN],
            capture_output=True, text=True, check=True, env={"PYTHONHASHSEED": hash_seed},
        )  # fmt: skip
        outputs.add(done.stdout)
    assert len(outputs) == 1, outputs
    assert outputs.pop().startswith("x [")


def _store() -> EmbeddedStore:
    store = EmbeddedStore(None)
    names = [("technique", "dijkstra"), ("technique", "bellman-ford"), ("technique", "bfs"),
             ("data_structure", "heap"), ("data_structure", "graph"), ("scenario", "city"),
             ("scenario", "velocity"), ("io_format", "function arguments and return")]  # fmt: skip
    store.upsert_atoms(
        Atom(id=f"algorithm/{s}/{n.replace(' ', '-')}", domain="algorithm", slot=s, name=n)
        for s, n in names
    )
    rows = [
        ["dijkstra", "heap", "city"],
        ["bellman-ford", "graph", "city"],
        ["bfs", "graph", "velocity"],
    ]
    by_name = {n: f"algorithm/{s}/{n}" for s, n in names}
    io = "algorithm/io_format/function-arguments-and-return"
    store.set_memberships(
        SeedAtoms(
            seed_id=f"s{i}", domain="algorithm", source="t", atom_ids=[*(by_name[n] for n in r), io]
        )
        for i, r in enumerate(rows)
    )
    build_hierarchy(store)
    return store


def test_coarse_grain_samples_groups_and_fine_grain_never_does() -> None:
    store = _store()
    fine = model_from_store(store, compatibility="hand")
    assert not any("group:" in a for a in fine.atom_ids)
    coarse = model_from_store(store_at_grain(store, "coarse"), compatibility="hand")
    assert "algorithm/technique/group:shortest-paths" in coarse.atom_ids
    assert "algorithm/technique/dijkstra" not in coarse.atom_ids
    view = coarse_view(store)
    assert view.get_atom("algorithm/scenario/group:logistics-and-routing").frequency == 2  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="grain must be one of"):
        store_at_grain(store, "medium")


def test_descriptions_come_from_data_templates_and_docstrings() -> None:
    assert describe_atom("algorithm", "technique", "dijkstra", "x").startswith("Dijkstra's")
    assert describe_atom("algorithm", "constraint", "values-up-to-1e9", "x") == (
        "Input values reach magnitudes up to about 10^9."
    )
    assert "palindrome" in describe_atom("algorithm", "scenario", "palindrome", "x")
    assert describe_atom("data_science", "library_api", "statistics.mean", "x").startswith(
        "Return the sample arithmetic mean"
    )
    # a name nothing describes keeps the extractor's text
    assert describe_atom("data_science", "library_api", "nopkg.call", "fallback") == "fallback"
    seed = Seed(id="d", domain="algorithm", source="t", license="MIT", statement="Sort it.",
                solution="def f(a):\n    return sorted(a)\n")  # fmt: skip
    described = {c.name: c.description for c in extract_static(seed, load_schemas()["algorithm"])}
    assert described["sorting"] == "Order the elements, then exploit the order."


def test_surface_keys_and_folding() -> None:
    assert surface_key("numpy-arrays") == surface_key("numpy array") == "numpy-array"
    assert surface_key("classes") == "class" and surface_key("analysis") == "analysis"
    known = KnownNames.from_names(
        {
            ("tool_usage", "logic_constraint"): ["single call", "parallel calls"],
            ("data_science", "task_goal"): [
                "aggregation",
                "filtering",
                "visualisation",
                "statistical test",
                "regression modelling",
            ],
        }
    )
    assert known.fold("tool_usage", "logic_constraint", "single") == (["single call"], "prefix")
    assert known.fold("tool_usage", "logic_constraint", "parallel-call") == (
        ["parallel calls"], "surface",
    )  # fmt: skip
    glued = "aggregation-filtering-statistical-test-visualisation-regression-modelling"
    assert known.fold("data_science", "task_goal", glued) == (
        ["aggregation", "filtering", "statistical test", "visualisation", "regression modelling"],
        "split",
    )
    assert known.fold("data_science", "task_goal", "power iteration") == (
        ["power iteration"],
        "new",
    )


def test_hybrid_keeps_static_atoms_and_folds_the_llms() -> None:
    seed = Seed(id="h", domain="data_science", source="t", license="MIT", statement="x")
    static = [AtomCandidate(slot="task_goal", name="aggregation", extractor="static")]
    llm = [
        AtomCandidate(slot="task_goal", name="Aggregations", extractor="llm:m"),
        AtomCandidate(slot="task_goal", name="k-means", extractor="llm:m"),
        AtomCandidate(slot="library_api", name="numpy.linalg.eig", extractor="llm:m"),
    ]
    stats = HybridStats()
    out = combine(seed, static, llm, KnownNames(), stats)
    assert [(c.name, c.extractor) for c in out] == [
        ("aggregation", "static"), ("k-means", "llm:m"), ("numpy.linalg.eig", "llm:m"),
    ]  # fmt: skip
    assert (stats.llm, stats.surface, stats.new, stats.merge_rate) == (3, 1, 2, 0.3333)


def test_hybrid_holds_back_new_names_too_few_seeds_support() -> None:
    from adr_graph.extract.hybrid import name_support

    seeds = [
        Seed(id=i, domain="data_science", source="t", license="MIT", statement="x")
        for i in ("a", "b")
    ]
    replies = {
        "a": [AtomCandidate(slot="task_goal", name="k-means", extractor="llm:m"),
              AtomCandidate(slot="task_goal", name="power iteration", extractor="llm:m"),
              AtomCandidate(slot="task_goal", name="aggregations", extractor="llm:m")],
        "b": [AtomCandidate(slot="task_goal", name="K Means", extractor="llm:m")],
    }  # fmt: skip
    support = name_support((s, replies[s.id]) for s in seeds)
    known = KnownNames.from_names({("data_science", "task_goal"): ["aggregation"]})
    stats = HybridStats()
    out = {
        s.id: [c.name for c in combine(s, [], replies[s.id], known, stats, support=support,
                                       min_support=2)]
        for s in seeds
    }  # fmt: skip
    # two seeds name k-means: an atom; one names power iteration: a detail of that seed;
    # a known name folds in whatever its support
    assert out == {"a": ["k-means", "aggregation"], "b": ["K Means"]}
    assert stats.held_back == 1 and stats.details == {"a": ["task_goal: power iteration"]}
    assert stats.as_dict()["held_back"] == 1


def test_thin_seeds_are_those_with_only_fallbacks() -> None:
    schema = load_schemas()["algorithm"]
    fallbacks = hierarchy_spec("algorithm").fallback_slugs()

    def cands(**slots: str) -> list[AtomCandidate]:
        return [AtomCandidate(slot=s, name=n, extractor="static") for s, n in slots.items()]

    full = cands(technique="bfs", data_structure="graph", scenario="city",
                 io_format="class method")  # fmt: skip
    assert not is_thin(full, schema, fallbacks)
    assert is_thin(cands(technique="iteration", data_structure="graph", scenario="city",
                         io_format="class method"), schema, fallbacks)  # fmt: skip
    assert is_thin(full[:-1], schema, fallbacks)  # a required slot is empty
    assert np.isfinite(len(fallbacks))


def _tool(name: str, vector: list[float] | None) -> Atom:
    return Atom(
        id=f"tool_usage/tool/{name}",
        domain="tool_usage",
        slot="tool",
        name=name,
        embedding=vector,
        embedder=None if vector is None else "test",
    )


def _tool_seed(seed_id: str, *tools: str) -> SeedAtoms:
    return SeedAtoms(
        seed_id=seed_id,
        domain="tool_usage",
        source="t",
        atom_ids=[f"tool_usage/tool/{t}" for t in tools],
    )


def test_an_unplaced_atom_one_seed_names_becomes_that_seeds_detail_and_comes_back() -> None:
    store = EmbeddedStore(None)
    store.upsert_atoms(
        [
            _tool("weather-now", [1.0, 0.0, 0.0]),
            _tool("weather-forecast", [0.98, 0.2, 0.0]),
            _tool("run-microwave", [0.0, 0.0, 1.0]),  # far from every family: unplaced
            _tool("no-vector", None),  # never embedded: never tried, so kept
        ]
    )
    store.set_memberships(
        [
            _tool_seed("s1", "weather-now", "run-microwave"),
            _tool_seed("s2", "weather-forecast", "no-vector"),
        ]
    )
    report = build_hierarchy(store).domains["tool_usage"]
    microwave = "tool_usage/tool/run-microwave"
    assert store.get_atom(microwave) is None
    rows = {r.seed_id: r for r in store.iter_memberships()}
    assert rows["s1"].details == [microwave] and microwave not in rows["s1"].atom_ids
    assert store.get_atom("tool_usage/tool/no-vector") is not None
    assert report.seed_details == 1 and report.fine_atoms == 3
    assert report.unplaced == ["tool_usage/tool/no-vector"]
    assert microwave not in store.projection().atom_ids
    # a second seed names it: two seeds now support it, so it is a graph atom again
    store.upsert_atoms([_tool("run-microwave", [0.0, 0.0, 1.0])])
    store.set_memberships([_tool_seed("s3", "run-microwave")])
    again = build_hierarchy(store).domains["tool_usage"]
    rows = {r.seed_id: r for r in store.iter_memberships()}
    assert rows["s1"].details == [] and microwave in rows["s1"].atom_ids
    assert sorted(store.atom_seeds(microwave)) == ["s1", "s3"]
    assert again.seed_details == 0 and again.promoted == 1


def test_an_atom_a_task_holds_or_a_slot_that_keeps_all_stays_in_the_graph() -> None:
    from adr_graph.hierarchy.details import plan_details

    rows = [_tool_seed("s1", "a", "b")]
    ids = {"tool_usage/tool/a", "tool_usage/tool/b"}
    moves = plan_details(rows, {"tool_usage/tool/a": 2}, ids, held_by_tasks=ids)
    assert moves.demoted == [] and moves.rows == []
    moves = plan_details(rows, {"tool_usage/tool/a": 1}, ids)  # detail_below = 1
    assert moves.demoted == []
    moves = plan_details(rows, {"tool_usage/tool/a": 2}, ids)
    assert moves.demoted == ["tool_usage/tool/a"] and rows[0].atom_ids == sorted(ids)
    # a build cut short left the atom in the graph with its seed already holding it as a
    # detail: it is deleted, not promoted back
    cut = [
        rows[0].model_copy(
            update={"atom_ids": ["tool_usage/tool/b"], "details": ["tool_usage/tool/a"]}
        )
    ]
    moves = plan_details(cut, {"tool_usage/tool/a": 2}, ids)
    assert moves.demoted == ["tool_usage/tool/a"] and moves.promoted == [] and moves.rows == []
    # a seed's only atom of a required slot stays, so no seed loses the slot; of two, one goes
    lone = [_tool_seed("s2", "c")]
    required = {"tool_usage/tool"}
    assert (
        plan_details(lone, {"tool_usage/tool/c": 2}, {"tool_usage/tool/c"}, (), required).demoted
        == []
    )
    both = {"tool_usage/tool/a": 2, "tool_usage/tool/b": 2}
    moves = plan_details(rows, both, ids, (), required)
    assert moves.demoted == ["tool_usage/tool/a"] and moves.rows[0].atom_ids == [
        "tool_usage/tool/b"
    ]
