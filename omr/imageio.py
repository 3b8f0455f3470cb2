"""Decode scanned pages into greyscale arrays, with size limits checked BEFORE decoding.

OpenCV is asked to decode only after the file's own header has told us the image's size, so a
decompression bomb (a tiny file claiming a gigapixel image) is refused without allocating it.
Multi-page TIFF pages are decoded one at a time (``cv2.imreadmulti`` with start/count); PDF
pages go through :mod:`omr.pdf`.
"""

from __future__ import annotations

import contextlib
import mmap
import re
import stat
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from common.errors import ImageError
from common.i18n import tr

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}
PDF_SUFFIXES = {".pdf"}
MAX_FILE_BYTES = 2 * 1024**3  # a 400-page scanned PDF or TIFF; files are mapped, not read
MAX_PIXELS = 60_000_000  # an A3 page at 600 dpi is 35 Mpx; beyond this is not a scan
MAX_SIDE = 20_000
MAX_PAGES = 1000  # a bulk scanner's 400-sheet session of two-page sheets is 800
# JPEG decodes at half or quarter size for free (DCT scaling); 150 dpi is ample for reading.
TARGET_LONG_SIDE = 1800


@dataclass(frozen=True)
class Limits:
    """What the reader accepts; checked from file headers before any decoding."""

    max_file_bytes: int = MAX_FILE_BYTES
    max_pixels: int = MAX_PIXELS
    max_side: int = MAX_SIDE
    max_pages: int = MAX_PAGES  # per file


DEFAULT_LIMITS = Limits()


def sniff(head: bytes) -> str | None:
    """The image format from a file's first bytes: ``png``, ``jpeg``, ``tiff``, ``pdf``."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8"):
        return "jpeg"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head.lstrip()[:5] == b"%PDF-":
        return "pdf"
    return None


def _png_size(data: bytes | mmap.mmap) -> tuple[int, int]:
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise ValueError(tr("PNG header is truncated"))
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _jpeg_size(data: bytes | mmap.mmap) -> tuple[int, int]:
    """Walk the JPEG segments up to the first start-of-frame marker."""
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise ValueError(tr("JPEG segment marker expected"))
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if pos + 9 > len(data):
                break
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return width, height
        pos += 2 + length
    raise ValueError(tr("JPEG has no frame header (truncated?)"))


# In entropy-coded data FF is followed by 00 (a stuffed byte), a restart marker D0-D7, or
# more FF fill bytes; anything else is the next real marker (here: the last FF of a run).
_NEXT_MARKER = re.compile(rb"\xff(?=[^\x00\xd0-\xd7\xff])")
_PROGRESSIVE = {0xC2, 0xC6, 0xCA, 0xCE}  # start-of-frame markers of progressive JPEG


def _jpeg_complete(data: bytes | mmap.mmap) -> bool:
    """The image's own end marker is there: segments are walked to the first scan, then the
    entropy-coded data (where ``FF`` is always followed by ``00``, a restart marker or fill)
    to the next marker, scan after scan, until ``FFD9``. Bytes after it (a trailer some
    phones append) do not matter; an ``FFD9`` inside an EXIF thumbnail is never mistaken for
    it."""
    size = len(data)
    pos = 2
    progressive = False
    while pos + 2 <= size:
        if data[pos] != 0xFF:
            return False
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker == 0xD9:
            return True
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        if pos + 4 > size:
            return False
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        progressive = progressive or marker in _PROGRESSIVE
        pos += 2 + length
        if marker != 0xDA:  # not a start of scan: the next segment follows
            continue
        if not progressive and data[size - 2 : size] == b"\xff\xd9":
            # A sequential JPEG (what scanners and phones write) is, as a rule, one scan of
            # entropy-coded data, where FF is never followed by D9: a file ending in FFD9
            # after it has its end marker, and the scan need not be walked. A progressive
            # file has tables between its scans, where FFD9 may be data: it is walked.
            return True
        found = _NEXT_MARKER.search(data, pos)  # in C: entropy-coded data is most of the file
        if found is None:
            return False
        pos = found.start()
    return False


def _tiff_sizes(data: bytes | mmap.mmap) -> list[tuple[int, int]]:
    """Width and height of every page (IFD) of a TIFF file."""
    endian = "<" if data[:2] == b"II" else ">"
    (offset,) = struct.unpack(endian + "I", data[4:8])
    sizes: list[tuple[int, int]] = []
    seen: set[int] = set()
    while offset and offset not in seen:
        seen.add(offset)
        if offset + 2 > len(data):
            raise ValueError(tr("TIFF directory points past the end of the file (truncated?)"))
        (count,) = struct.unpack(endian + "H", data[offset : offset + 2])
        width = height = 0
        seen_tags: set[int] = set()
        for k in range(count):
            entry = data[offset + 2 + 12 * k : offset + 14 + 12 * k]
            if len(entry) < 12:
                raise ValueError(tr("TIFF directory is truncated"))
            tag, kind = struct.unpack(endian + "HH", entry[:4])
            if tag in (256, 257):
                # a decoder may take the first of repeated tags while a check took the last
                if tag in seen_tags:
                    raise ValueError(tr("TIFF directory repeats its width or height tag"))
                seen_tags.add(tag)
                value = (
                    struct.unpack(endian + "H", entry[8:10])[0]
                    if kind == 3
                    else struct.unpack(endian + "I", entry[8:12])[0]
                )
                if tag == 256:
                    width = value
                else:
                    height = value
        sizes.append((width, height))
        end = offset + 2 + 12 * count
        if end + 4 > len(data):
            break
        (offset,) = struct.unpack(endian + "I", data[end : end + 4])
    if not sizes:
        raise ValueError(tr("TIFF has no pages"))
    return sizes


def image_sizes(data: bytes | mmap.mmap, kind: str) -> list[tuple[int, int]]:
    """Width and height of every page, read from the header alone."""
    if kind == "png":
        return [_png_size(data)]
    if kind == "jpeg":
        return [_jpeg_size(data)]
    if kind == "tiff":
        return _tiff_sizes(data)
    raise ValueError(tr("not an image format: {kind}", kind=kind))


def check_size(width: int, height: int, limits: Limits, where: str) -> None:
    """Refuse images beyond the limits before anything is decoded."""
    if width <= 0 or height <= 0:
        raise ImageError(
            tr("image header gives no size"), where=where, hint=tr("rescan or re-export")
        )
    if max(width, height) > limits.max_side or width * height > limits.max_pixels:
        raise ImageError(
            tr(
                "image is {width}x{height} pixels, beyond the limit of {value} Mpx",
                width=width,
                height=height,
                value=limits.max_pixels // 1000000,
            ),
            where=where,
            hint=tr("scan at 150-300 dpi"),
        )


def check_file(path: Path, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a missing, empty or oversized file before anything opens it."""
    try:
        status = path.stat()
    except OSError as error:
        raise ImageError(
            tr("cannot read file: {strerror}", strerror=error.strerror), where=str(path)
        ) from None
    if not stat.S_ISREG(status.st_mode):
        # opening a named pipe would wait for a writer for ever
        raise ImageError(tr("not a regular file (a named pipe, socket or device)"), where=str(path))
    size = status.st_size
    if size == 0:
        raise ImageError(tr("file is empty"), where=str(path), hint=tr("rescan it"))
    if size > limits.max_file_bytes:
        raise ImageError(
            tr(
                "file is {value} MiB, beyond the {value2} MiB limit",
                value=size // (1024 * 1024),
                value2=limits.max_file_bytes >> 20,
            ),
            where=str(path),
            hint=tr("split it or scan at 150-300 dpi"),
        )


def read_bytes(path: Path, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The file's bytes, refusing empty and oversized files."""
    check_file(path, limits)
    return path.read_bytes()


@contextmanager
def map_file(path: Path, limits: Limits = DEFAULT_LIMITS) -> Iterator[mmap.mmap]:
    """The file mapped read-only: a page of a 1 GB multi-page TIFF touches only its part."""
    check_file(path, limits)
    try:
        handle = path.open("rb")
        data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except OSError as error:
        raise ImageError(
            tr("cannot read file: {strerror}", strerror=error.strerror), where=str(path)
        ) from None
    try:
        yield data
    finally:
        # A view of the map may still be alive (in the traceback of the error being raised);
        # closing would then replace that error with a BufferError. The map closes when the
        # view is collected.
        with contextlib.suppress(BufferError):
            data.close()
        handle.close()


def _reduction(width: int, height: int) -> int:
    """How much JPEG can shrink for free while staying at or above ~150 dpi on A4."""
    long_side = max(width, height)
    if long_side >= 4 * TARGET_LONG_SIDE:
        return 4
    if long_side >= 2 * TARGET_LONG_SIDE - 200:
        return 2
    return 1


def decode_image(
    data: bytes | mmap.mmap, page: int, where: str, limits: Limits = DEFAULT_LIMITS
) -> np.ndarray:
    """Decode page ``page`` (1-based) of a PNG/JPEG/TIFF file held in ``data``.

    Returns
    -------
    image : ndarray of shape (H, W), uint8
        Greyscale; JPEG may come back at 1/2 or 1/4 size (still >= ~150 dpi for an A4 page).
    """
    kind = sniff(data[:16])
    if kind is None or kind == "pdf":
        raise ImageError(tr("not a PNG, JPEG or TIFF image"), where=where)
    try:
        sizes = image_sizes(data, kind)
    except (ValueError, struct.error) as error:
        raise ImageError(
            tr("damaged {upper} header: {error}", upper=kind.upper(), error=error), where=where
        ) from None
    if not 1 <= page <= len(sizes):
        raise ImageError(
            tr("page {page} does not exist ({n_sizes} pages)", page=page, n_sizes=len(sizes)),
            where=where,
        )
    width, height = sizes[page - 1]
    check_size(width, height, limits, where)
    if kind == "jpeg" and not _jpeg_complete(data):
        # libjpeg pads a truncated file with grey and reports success; refuse it instead.
        raise ImageError(
            tr("JPEG data is truncated (no end marker)"), where=where, hint=tr("rescan it")
        )
    buffer = np.frombuffer(data, dtype=np.uint8)
    image: np.ndarray | None
    if kind == "tiff":
        ok, pages = cv2.imdecodemulti(buffer, cv2.IMREAD_GRAYSCALE, None, (page - 1, page))
        image = pages[0] if ok and pages else None
    else:
        flag = cv2.IMREAD_GRAYSCALE
        if kind == "jpeg":
            flag = {
                1: cv2.IMREAD_GRAYSCALE,
                2: cv2.IMREAD_REDUCED_GRAYSCALE_2,
                4: cv2.IMREAD_REDUCED_GRAYSCALE_4,
            }[_reduction(width, height)]
        image = cv2.imdecode(buffer, flag)
    if image is None or image.size == 0:
        raise ImageError(
            tr("{upper} data cannot be decoded (truncated?)", upper=kind.upper()), where=where
        )
    if image.dtype != np.uint8:  # 16-bit scans
        image = cv2.convertScaleAbs(image, alpha=255.0 / 65535.0)
    return image


def page_count(data: bytes | mmap.mmap, where: str) -> int:
    """Number of pages in a PNG/JPEG/TIFF file, from its header."""
    kind = sniff(data[:16])
    if kind is None or kind == "pdf":
        raise ImageError(tr("not a PNG, JPEG or TIFF image"), where=where)
    try:
        return len(image_sizes(data, kind))
    except (ValueError, struct.error) as error:
        raise ImageError(
            tr("damaged {upper} header: {error}", upper=kind.upper(), error=error), where=where
        ) from None
