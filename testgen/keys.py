"""``keys.csv``: one row per printed question of every variant (UTF-8, ``\\n`` line ends)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from testgen.manifest import Manifest

KEYS_COLUMNS = ("variant", "position", "key", "version", "task_id", "source_position", "points")


def keys_csv(manifest: Manifest) -> str:
    """The key table as CSV text; rows in variant, then printed-position order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(KEYS_COLUMNS)
    for variant in manifest.variants:
        for item in variant.items:
            writer.writerow(
                [
                    variant.number,
                    item.position,
                    item.key,
                    item.version,
                    item.task_id,
                    item.source_position,
                    f"{item.points:g}",
                ]
            )
    return out.getvalue()


def write_keys(manifest: Manifest, path: Path) -> None:
    path.write_text(keys_csv(manifest), encoding="utf-8", newline="")
