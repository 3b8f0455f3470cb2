"""Pieces every package shares: the exception hierarchy, CLI error handling, the shared
vocabulary, fonts and other runtime resources. A leaf: it imports no other package of ours."""

__version__ = "0.1.0"  # the one version of the tool (pyproject.toml reads it)
