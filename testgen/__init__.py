"""testgen: test spec -> shuffled variants, keys, booklets and answer sheets."""

__version__ = "0.1.0"
