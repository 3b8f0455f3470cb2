"""Output folders are created and proved writable up front."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import OutputError
from common.files import ensure_writable_folder


def test_creates_nested_folder_and_leaves_no_probe(tmp_path: Path) -> None:
    folder = tmp_path / "a" / "b"
    ensure_writable_folder(folder)
    assert folder.is_dir() and list(folder.iterdir()) == []


def test_a_file_in_the_way_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("not a folder")
    with pytest.raises(OutputError) as info:
        ensure_writable_folder(tmp_path / "out" / "reports")
    assert str(info.value).startswith(f"{tmp_path / 'out' / 'reports'}: cannot write the output")
    assert str(info.value).endswith("(choose another --out)")
