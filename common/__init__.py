"""Pieces every package shares: the exception hierarchy, CLI error handling, fonts, paths."""
