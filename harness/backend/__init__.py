"""Backends: the typed seam (base), real accounts (aws), the simulated world (sim), and the
registry that opens one by name."""
