"""omr: answer-sheet images (scans, photos, PDFs, electronic forms) -> marks per question."""

__version__ = "0.1.0"
