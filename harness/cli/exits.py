"""The exit-code contract of every command: 0 pass, 1 a check failed, 2 usage or
configuration. Kept apart from ``common`` so the light commands need nothing else."""

EXIT_PASS, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
