"""Scoring: the results store, imports of scans and online exports, scoring and statistics."""
