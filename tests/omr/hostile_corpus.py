"""A corpus of hostile and broken inputs for ``omr scan``, written by code (nothing binary is
committed), each with the line the scan must answer it with.

Each case is a function writing one file into a folder and returning its name and the text
the scan's error line for it must contain (``None``: the file must be read, not refused)."""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

Case = Callable[[Path], tuple[str, str | None]]


def _pdf(objects: list[bytes], root: int = 1) -> bytes:
    """A PDF from numbered object bodies (object k is ``objects[k - 1]``), with a correct
    cross-reference table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        root,
        xref,
    )
    return bytes(out)


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def empty_png(folder: Path) -> tuple[str, str | None]:
    (folder / "empty.png").write_bytes(b"")
    return "empty.png", "file is empty"


def text_file(folder: Path) -> tuple[str, str | None]:
    (folder / "notes.jpg").write_text("not an image", encoding="utf-8")
    return "notes.jpg", "damaged: the content is not JPG data"


def truncated_jpeg(folder: Path) -> tuple[str, str | None]:
    ok, jpeg = cv2.imencode(".jpg", np.random.default_rng(1).integers(0, 255, (300, 200), np.uint8))
    assert ok
    (folder / "cut.jpg").write_bytes(jpeg.tobytes()[: len(jpeg) // 2])
    return "cut.jpg", "JPEG data is truncated"


def png_bomb(folder: Path) -> tuple[str, str | None]:
    header = struct.pack(">IIBBBBB", 200_000, 200_000, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + header
    ihdr = struct.pack(">I", len(header)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    data = zlib.compress(b"\x00" * (1 << 20), 9)
    idat = (
        struct.pack(">I", len(data))
        + b"IDAT"
        + data
        + struct.pack(">I", zlib.crc32(b"IDAT" + data))
    )
    (folder / "bomb.png").write_bytes(b"\x89PNG\r\n\x1a\n" + ihdr + idat)
    return "bomb.png", "beyond the limit of 60 Mpx"


def tiff_broken_ifd(folder: Path) -> tuple[str, str | None]:
    (folder / "ifd.tif").write_bytes(b"II*\x00" + struct.pack("<I", 10_000_000) + b"\x00" * 64)
    return "ifd.tif", "damaged TIFF header"


def tiff_repeated_tags(folder: Path) -> tuple[str, str | None]:
    entries = [(256, 3, 1, 64), (257, 3, 1, 64), (256, 4, 1, 60_000), (257, 4, 1, 60_000)]
    ifd = struct.pack("<H", len(entries)) + b"".join(struct.pack("<HHII", *e) for e in entries)
    (folder / "tags.tif").write_bytes(b"II*\x00" + struct.pack("<I", 8) + ifd + b"\x00" * 4)
    return "tags.tif", "repeats its width or height tag"


def xobject_bomb(folder: Path) -> tuple[str, str | None]:
    """One page whose drawing fans out: each form draws the next one 12 times, 9 deep
    (12^9 rectangles): a renderer with no budget works for hours."""
    depth, fan = 9, 12
    first = 5
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /XObject << /X %d 0 R >> >> >>" % first,
        _stream(b"q 595 0 0 842 0 0 cm /X Do Q"),
    ]
    for level in range(depth):
        if level == depth - 1:
            objects.append(
                _stream(b"0 0 1 1 re f", b"/Type /XObject /Subtype /Form /BBox [0 0 1 1]")
            )
        else:
            body = b" ".join(b"q 1 0 0 1 0 0 cm /X Do Q" for _ in range(fan))
            objects.append(
                _stream(
                    body,
                    b"/Type /XObject /Subtype /Form /BBox [0 0 1 1] "
                    b"/Resources << /XObject << /X %d 0 R >> >>" % (first + level + 1),
                )
            )
    (folder / "fanout.pdf").write_bytes(_pdf(objects))
    return "fanout.pdf", "reading this page was stopped"


def too_many_pages(folder: Path) -> tuple[str, str | None]:
    count = 1200
    kids = b" ".join(b"%d 0 R" % (3 + k) for k in range(count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % count,
        *[b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >>"] * count,
    ]
    (folder / "long.pdf").write_bytes(_pdf(objects))
    return "long.pdf", "the file has 1200 pages, more than the 1000 one file may hold"


def deep_fields(folder: Path) -> tuple[str, str | None]:
    depth = 3000
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >>",
    ]
    for k in range(depth):
        number = 4 + k
        if k == depth - 1:
            objects.append(b"<< /T (leaf) >>")
        else:
            objects.append(b"<< /T (f%d) /Kids [%d 0 R] >>" % (k, number + 1))
    (folder / "deep.pdf").write_bytes(_pdf(objects))
    return "deep.pdf", "PDF structure is nested too deeply to read"


def prev_loop(folder: Path) -> tuple[str, str | None]:
    """A PDF whose cross-reference sections point back at each other (``/Prev`` loop) and
    whose only page is not a sheet: read without hanging, refused as not a sheet."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    data = _pdf(objects)
    xref = data.rindex(b"xref\n")
    trailer = b"trailer\n<< /Size 4 /Root 1 0 R /Prev %d >>" % xref
    data = data.replace(b"trailer\n<< /Size 4 /Root 1 0 R >>", trailer)
    (folder / "loop.pdf").write_bytes(data)
    return "loop.pdf", None  # opened and read: its page is refused, not an error


def password_pdf(folder: Path) -> tuple[str, str | None]:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    with (folder / "locked.pdf").open("wb") as handle:
        writer.write(handle)
    return "locked.pdf", "PDF cannot be opened"


def named_pipe(folder: Path) -> tuple[str, str | None]:
    os.mkfifo(folder / "pipe.tif")
    return "pipe.tif", "not a regular file"


CASES: tuple[Case, ...] = (
    empty_png,
    text_file,
    truncated_jpeg,
    png_bomb,
    tiff_broken_ifd,
    tiff_repeated_tags,
    xobject_bomb,
    too_many_pages,
    deep_fields,
    prev_loop,
    password_pdf,
    named_pipe,
)


def write_corpus(folder: Path) -> dict[str, str | None]:
    """Every case into ``folder``; file name -> the expected error text."""
    folder.mkdir(parents=True, exist_ok=True)
    return dict(case(folder) for case in CASES)
