"""Developer tools run from the checkout (not installed): the CLI reference generator."""
