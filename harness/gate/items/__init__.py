"""One module per checklist item of the promotion gate; each returns an ``ItemResult``."""
