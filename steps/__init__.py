"""Step definitions, one module per domain. Shipped inside the package as ``harness.steps``;
``PLUGINS`` are the modules pytest registers (the repository's conftest.py and the CLI's
pytest run both read this list)."""

PLUGINS = ["common", "safety", "drill", "migrations", "drill_step3", "rollback", "restore",
           "workflows", "promote", "gate"]
