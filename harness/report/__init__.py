"""Renderings of evidence.json: one module per format (``renderings`` maps a run folder's
files to them). The package itself imports nothing, so a command that only formats a
duration (``format``) does not load the HTML template engine."""
