"""Measures and figures: coverage of atom sets, the atom graph, the sampler, the tasks.

``coverage`` computes the numbers the CLI prints; ``sampler``, ``graph`` and ``tasks``
hold the figures the notebooks and the HTML report draw (matplotlib, imported lazily).
"""
