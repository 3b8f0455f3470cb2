"""Output folders: created and proved writable before the first page is drawn or read."""

from __future__ import annotations

from pathlib import Path

from common.errors import OutputError
from common.i18n import tr

_PROBE = ".write-check"


def ensure_writable_folder(folder: Path, *, hint: str = "choose another --out") -> None:
    """Create ``folder`` (and its parents) and write a probe file in it, so a read-only or
    full disk is reported at once, naming the folder, instead of after minutes of work."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / _PROBE
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise OutputError(
            tr("cannot write the output folder ({value})", value=error.strerror or error),
            where=str(folder),
            hint=hint,
        ) from None
