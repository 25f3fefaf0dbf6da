"""The simulated company and its history, story by story (see sample_exports/__init__.py)."""
