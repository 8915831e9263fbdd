"""The atom hierarchy: groups and areas above the fine atoms seeds hold, from data.

``spec`` reads ``schema/hierarchy/<domain>.toml``; ``plan`` places a store's atoms (by
name, pattern, namespace or embedding cluster) as pure functions; ``build`` writes the
groups, areas, ``IS_A`` edges and descriptions into a store.
"""

from .spec import DomainHierarchy, hierarchy_spec, load_hierarchies

__all__ = ["DomainHierarchy", "hierarchy_spec", "load_hierarchies"]
