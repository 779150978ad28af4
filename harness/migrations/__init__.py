"""Migration files: discovery and pairing, classification, the runner and the round trip."""
