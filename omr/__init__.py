"""omr: answer-sheet images (scans, photos, PDFs, electronic forms) -> marks per question."""
