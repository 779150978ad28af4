"""Real PostgreSQL: providers, schema dumps and their comparison."""
