"""The exit-code contract of every command: 0 pass, 1 a check failed or could not run, 2 usage
or configuration (found before any work), 128 + N stopped by signal N (130 SIGINT, 143
SIGTERM: ``harness.interrupts.exit_code``). Kept apart from ``common`` so the light commands
need nothing else."""

EXIT_PASS, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
