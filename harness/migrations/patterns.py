"""How migration files are named by default (kept apart so that building the command line
needs no parser)."""

DEFAULT_FORWARD_PATTERN = r"^(?P<version>\d{14})_(?P<slug>[A-Za-z0-9][A-Za-z0-9_-]*)\.sql$"
DEFAULT_DOWN_SUFFIX = ".down.sql"
