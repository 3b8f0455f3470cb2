"""Decoding with limits checked from headers before OpenCV sees the data."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from common.errors import ImageError
from omr.imageio import Limits, decode_image, image_sizes, page_count, read_bytes, sniff


def _png(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` with almost no data behind it."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + header
    ihdr = struct.pack(">I", len(header)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    data = zlib.compress(b"\x00" * 64)
    idat = (
        struct.pack(">I", len(data))
        + b"IDAT"
        + data
        + struct.pack(">I", zlib.crc32(b"IDAT" + data))
    )
    return b"\x89PNG\r\n\x1a\n" + ihdr + idat


def test_formats_are_sniffed_from_content() -> None:
    assert sniff(b"\x89PNG\r\n\x1a\n....") == "png"
    assert sniff(b"\xff\xd8\xff\xe0") == "jpeg"
    assert sniff(b"II*\x00") == "tiff" and sniff(b"MM\x00*") == "tiff"
    assert sniff(b"%PDF-1.4") == "pdf"
    assert sniff(b"hello") is None


def test_sizes_come_from_headers() -> None:
    image = np.full((30, 20), 200, np.uint8)
    ok, jpeg = cv2.imencode(".jpg", image)
    ok2, png = cv2.imencode(".png", image)
    assert ok and ok2
    assert image_sizes(jpeg.tobytes(), "jpeg") == [(20, 30)]
    assert image_sizes(png.tobytes(), "png") == [(20, 30)]


def test_decompression_bomb_is_refused_before_decoding() -> None:
    bomb = _png(100_000, 100_000)
    with pytest.raises(ImageError, match="100000x100000 pixels, beyond the limit"):
        decode_image(bomb, 1, "bomb.png")


def test_truncated_jpeg_is_refused() -> None:
    ok, jpeg = cv2.imencode(".jpg", np.full((200, 100), 128, np.uint8))
    assert ok
    data = jpeg.tobytes()[: len(jpeg) // 2]
    with pytest.raises(ImageError, match="truncated"):
        decode_image(data, 1, "half.jpg")


def test_empty_and_oversized_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(ImageError, match="file is empty"):
        read_bytes(empty)
    big = tmp_path / "big.png"
    big.write_bytes(b"\x00" * 2048)
    with pytest.raises(ImageError, match="beyond the 0 MiB limit"):
        read_bytes(big, Limits(max_file_bytes=1024))


def test_multipage_tiff_pages_decode_one_at_a_time(tmp_path: Path) -> None:
    pages = [np.full((40, 30), v, np.uint8) for v in (10, 120, 240)]
    path = tmp_path / "three.tif"
    assert cv2.imwritemulti(str(path), pages)
    data = path.read_bytes()
    assert page_count(data, "three.tif") == 3
    assert [int(decode_image(data, p, "t").mean()) for p in (1, 2, 3)] == [10, 120, 240]
    with pytest.raises(ImageError, match="page 4 does not exist"):
        decode_image(data, 4, "three.tif")


def test_large_jpeg_decodes_reduced() -> None:
    ok, jpeg = cv2.imencode(".jpg", np.full((3508, 2480), 200, np.uint8))
    assert ok
    assert decode_image(jpeg.tobytes(), 1, "a4.jpg").shape == (1754, 1240)


def _jpeg(shape: tuple[int, int] = (200, 100)) -> bytes:
    rng = np.random.default_rng(3)
    ok, jpeg = cv2.imencode(".jpg", rng.integers(0, 255, shape, dtype=np.uint8))
    assert ok
    return jpeg.tobytes()


def test_jpeg_with_bytes_after_its_end_marker_is_read() -> None:
    data = _jpeg() + b"\x00" * 10 + b"SEFT trailer of a phone camera" * 20
    assert decode_image(data, 1, "phone.jpg").shape == (200, 100)


def test_truncated_jpeg_with_a_thumbnail_end_marker_is_still_refused() -> None:
    thumbnail = _jpeg((16, 16))  # an EXIF thumbnail carries its own FFD9
    app1 = b"Exif\x00\x00" + thumbnail
    segment = b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1
    whole = _jpeg()
    with_thumb = whole[:2] + segment + whole[2:]
    assert decode_image(with_thumb, 1, "thumb.jpg").shape == (200, 100)
    with pytest.raises(ImageError, match="truncated"):
        decode_image(with_thumb[: len(with_thumb) - 300], 1, "cut.jpg")


def test_progressive_jpeg_is_walked_scan_by_scan() -> None:
    rng = np.random.default_rng(4)
    ok, jpeg = cv2.imencode(
        ".jpg", rng.integers(0, 255, (200, 100), dtype=np.uint8), [cv2.IMWRITE_JPEG_PROGRESSIVE, 1]
    )
    assert ok
    data = jpeg.tobytes()
    assert data.count(b"\xff\xda") > 1  # several scans, tables between them
    assert decode_image(data, 1, "progressive.jpg").shape == (200, 100)
    # cut inside the second scan's header and given an end marker by hand: the file ends in
    # FFD9, but a progressive file is walked, and the walk finds the scan was never whole
    second_scan = data.index(b"\xff\xda", data.index(b"\xff\xda") + 2)
    with pytest.raises(ImageError, match="truncated"):
        decode_image(data[: second_scan + 6] + b"\xff\xd9", 1, "cut.jpg")


def test_tiff_that_repeats_its_size_tags_is_refused() -> None:
    # one IFD: width 100, height 100, width 60000 (a check reading the last tag would pass
    # 100 x 60000 while a decoder reading the first allocates 100 x 100, or the other way)
    entries = [(256, 3, 1, 100), (257, 3, 1, 100), (256, 4, 1, 60_000)]
    ifd = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        ifd += struct.pack("<HHII", tag, kind, count, value)
    data = b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0)
    with pytest.raises(ImageError, match="repeats its width or height tag"):
        page_count(data, "tags.tif")
