"""Thin boto3 wrappers. They take a tier's session and return frozen dataclasses."""
