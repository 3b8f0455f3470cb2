"""Scan and photo degradations for simulated sheets (OpenCV + numpy, seeded).

Every function takes a greyscale page rendered at :data:`BASE_DPI` and a numpy ``Generator``
and returns a :class:`Degraded` image with the parameters it drew, so a ground-truth record
says exactly what was done to a sheet. Profiles:

``clean``
    300 dpi, nothing applied, PNG.
``scan``
    rotation up to 5 degrees (sometimes upside down), 150-300 dpi, blur, noise, paper and ink
    levels, lighting gradient, JPEG quality 40-95.
``photo``
    perspective onto a background larger than the page, uneven light and a soft shadow, some
    blur and noise, colour, JPEG.
``harsh``
    beyond tolerance on purpose: heavy blur, a cut-off corner, a very dark page or markers
    covered (one or two of these on top of a mild scan). A reader must refuse or flag these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import cv2
import numpy as np

from common.i18n import tr
from testgen.manifest import SheetPage

BASE_DPI = 300
# The first four come with the stamped marks of omr.sim.fill; the physical ones with the hand
# model of omr.sim.hand (one instrument per sheet), and capture as offices and phones do.
PROFILES = ("clean", "scan", "photo", "harsh", "office", "bilevel", "colour", "phone")
PHYSICAL_PROFILES = ("office", "bilevel", "colour", "phone")
Profile = Literal["clean", "scan", "photo", "harsh", "office", "bilevel", "colour", "phone"]
Encoding = Literal["png", "jpeg", "tiff-g4", "pdf-ccitt"]


@dataclass
class Degraded:
    """A degraded page. ``image`` is (H, W) uint8 grey or (H, W, 3) uint8 BGR."""

    image: np.ndarray
    encoding: Encoding
    quality: int | None
    params: dict[str, float | int | str | bool] = field(default_factory=dict)


def degrade(page: np.ndarray, sheet: SheetPage, profile: str, rng: np.random.Generator) -> Degraded:
    """Apply ``profile`` to ``page`` ((H, W) uint8 at 300 dpi); ``sheet`` locates the markers."""
    if profile == "clean":
        return Degraded(page, "png", None, {"dpi": BASE_DPI})
    if profile == "scan":
        return scan(page, rng)
    if profile == "photo":
        return photo(page, rng)
    if profile == "harsh":
        return harsh(page, sheet, rng)
    if profile in ("office", "colour"):
        return office(page, rng)
    if profile == "bilevel":
        return bilevel(page, rng)
    if profile == "phone":
        return phone(page, rng)
    raise ValueError(
        tr(
            "unknown profile {profile!r}; expected one of {join}",
            profile=profile,
            join=", ".join(PROFILES),
        )
    )


def _levels(image: np.ndarray, white: float, black: float) -> np.ndarray:
    """Map 0..255 onto black..white: scanners and cameras never reach pure 0 and 255."""
    return black + (white - black) * (image.astype(np.float32) / 255.0)


def _grid(shape: tuple[int, int], step: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates of a coarse grid over ``shape``: light varies slowly, so fields are
    computed on it and resized up (a full-size mgrid costs more than the whole scan)."""
    h, w = shape
    ys, xs = np.mgrid[0:h:step, 0:w:step].astype(np.float32)
    return xs, ys


def _upsample(field: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    return cv2.resize(
        field.astype(np.float32), (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR
    )


def _gradient(shape: tuple[int, int], rng: np.random.Generator, low: float) -> np.ndarray:
    """A linear light ramp from 1 to ``low`` in a random direction, shape (H, W) float32."""
    h, w = shape
    xs, ys = _grid(shape)
    angle = rng.uniform(0, 2 * np.pi)
    t = (xs / w - 0.5) * np.cos(angle) + (ys / h - 0.5) * np.sin(angle)
    t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
    return _upsample(1.0 - (1.0 - low) * t, shape)


def _noise(image: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    """Sensor noise; one grey field shared by the colour channels (float32 draws are fast)."""
    field = rng.standard_normal(image.shape[:2], dtype=np.float32) * np.float32(sigma)
    return image + (field[..., None] if image.ndim == 3 else field)


def _to_u8(image: np.ndarray) -> np.ndarray:
    """Round and saturate to uint8 (in place on float input: these arrays are large)."""
    if image.dtype == np.uint8:
        return image
    image = np.asarray(image, np.float32)
    image += 0.5
    np.clip(image, 0, 255, out=image)
    return image.astype(np.uint8)


def _rotate(
    image: np.ndarray, angle: float, shift: tuple[float, float], border: float
) -> np.ndarray:
    """Rotate about the centre and shift, keeping the page size (a flatbed scan area)."""
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    matrix[:, 2] += np.asarray(shift)
    return cv2.warpAffine(
        image,
        matrix,
        (w, h),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(border, border, border),
    )


def scan(page: np.ndarray, rng: np.random.Generator, *, mild: bool = False) -> Degraded:
    """A flatbed or feeder scan. ``mild`` keeps rotation and noise small (harsh uses it)."""
    dpi = int(rng.integers(200 if mild else 150, BASE_DPI + 1))
    scale = dpi / BASE_DPI
    image = cv2.resize(page, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    white = float(rng.uniform(215, 252))
    black = float(rng.uniform(0, 45))
    img = _levels(image, white, black)
    low = float(rng.uniform(0.82, 1.0))
    img *= _gradient(img.shape[:2], rng, low)
    angle = float(rng.uniform(-2, 2) if mild else rng.uniform(-5, 5))
    upside_down = bool(rng.random() < 0.15)
    shift = (
        float(rng.uniform(-0.01, 0.01) * img.shape[1]),
        float(rng.uniform(-0.01, 0.01) * img.shape[0]),
    )
    border = float(rng.uniform(200, 250))
    # The scan area is larger than the page (a flatbed is), so a skewed page keeps its corners.
    pad = int(0.075 * max(img.shape))
    img = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=border)
    img = _rotate(img, angle + (180.0 if upside_down else 0.0), shift, border)
    sigma = float(rng.uniform(0.0, 1.2))
    if sigma > 0.3:
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    noise = float(rng.uniform(1.0, 2.5 if mild else 4.0))
    quality = int(rng.integers(40, 96))
    # Noise last: its draws depend on the image size, the parameters above must not.
    img = _noise(img, rng, noise)
    params: dict[str, float | int | str | bool] = {
        "dpi": dpi,
        "rotation": round(angle, 3),
        "upside_down": upside_down,
        "blur_sigma": round(sigma, 3),
        "noise_sigma": round(noise, 3),
        "white": round(white, 1),
        "black": round(black, 1),
        "light_low": round(low, 3),
    }
    # Always JPEG: a noisy lossless scan is 3-6 MB of PNG, and the clean profile covers PNG.
    return Degraded(_to_u8(img), "jpeg", quality, params)


def _background(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A table top: a random colour with a smooth texture, (H, W, 3) float32.

    Drawn at 1/8 size and resized up: it is smooth, and full size costs 0.15 s a sheet."""
    h, w = shape
    colour = rng.uniform([40, 60, 80], [150, 160, 200]).astype(np.float32)
    small = (max(w // 8, 2), max(h // 8, 2))
    texture = cv2.resize(
        rng.normal(0, 1, (max(h // 40, 2), max(w // 40, 2))).astype(np.float32),
        small,
        interpolation=cv2.INTER_CUBIC,
    )
    base = colour[None, None, :] + 18.0 * texture[..., None]
    return cv2.resize(base, (w, h), interpolation=cv2.INTER_LINEAR)


def photo(page: np.ndarray, rng: np.random.Generator) -> Degraded:
    """A phone photo of the page lying on a table."""
    frame_w = int(rng.integers(1800, 2600))
    frame_h = frame_w * 4 // 3
    fill = float(rng.uniform(0.75, 0.9))  # page height as a fraction of the frame height
    ph, _pw = page.shape
    target_h = frame_h * fill
    scale = target_h / ph
    small = cv2.resize(page, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    sh, sw = small.shape
    cx = frame_w / 2 + rng.uniform(-0.05, 0.05) * frame_w
    cy = frame_h / 2 + rng.uniform(-0.04, 0.04) * frame_h
    angle = np.deg2rad(rng.uniform(-8, 8))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    corners = np.array([[-sw / 2, -sh / 2], [sw / 2, -sh / 2], [sw / 2, sh / 2], [-sw / 2, sh / 2]])
    jitter = rng.uniform(-0.05, 0.05, (4, 2)) * [sw, sh]
    target = (corners @ rot.T) + [cx, cy] + jitter
    # Keep the whole page in the frame (a photo that cuts the page off belongs to "harsh").
    low = target.min(axis=0)
    high = target.max(axis=0)
    margin = 0.02 * np.array([frame_w, frame_h])
    room = (np.array([frame_w, frame_h]) - 2 * margin) / (high - low)
    if room.min() < 1:
        target = (target - (low + high) / 2) * room.min() + [frame_w / 2, frame_h / 2]
    low = target.min(axis=0)
    target += np.maximum(margin - low, 0) - np.maximum(
        target.max(axis=0) - (np.array([frame_w, frame_h]) - margin), 0
    )
    source = np.array([[0, 0], [sw, 0], [sw, sh], [0, sh]], np.float32)
    homography = cv2.getPerspectiveTransform(source, target.astype(np.float32))
    tint = rng.uniform([0.86, 0.92, 0.97], [0.95, 0.99, 1.0]).astype(np.float32)
    white = float(rng.uniform(200, 245))
    black = float(rng.uniform(15, 50))
    paper = _levels(small, white, black)
    canvas = _background((frame_h, frame_w), rng)
    size = (frame_w, frame_h)
    warped = cv2.warpPerspective(paper, homography, size, flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.ones((sh, sw), np.float32), homography, size)
    # Uneven light: a radial fall-off, a ramp and sometimes a soft shadow across the page.
    xs, ys = _grid((frame_h, frame_w))
    lx, ly = rng.uniform(0.2, 0.8) * frame_w, rng.uniform(0.2, 0.8) * frame_h
    dist = np.hypot(xs - lx, ys - ly) / np.hypot(frame_w, frame_h)
    falloff = float(rng.uniform(0.15, 0.45))
    light = (1.0 - falloff * dist) * cv2.resize(
        _gradient((frame_h, frame_w), rng, float(rng.uniform(0.8, 1))), (xs.shape[1], xs.shape[0])
    )
    shadow = bool(rng.random() < 0.4)
    if shadow:
        a = rng.uniform(0, 2 * np.pi)
        edge = (xs - frame_w / 2) * np.cos(a) + (ys - frame_h / 2) * np.sin(a)
        soft = 1 / (1 + np.exp(-edge / (0.03 * frame_w)))
        light *= 1 - float(rng.uniform(0.1, 0.3)) * soft
    light = _upsample(light, (frame_h, frame_w))
    page_part = (warped * light * mask)[..., None] * tint
    img = canvas * ((1 - mask) * light)[..., None] + page_part
    sigma = float(rng.uniform(0.0, 1.5))
    if sigma > 0.3:
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    noise = float(rng.uniform(1.5, 4.0))  # phones denoise; what is left is mild
    quality = int(rng.integers(60, 91))
    img = _noise(img, rng, noise)
    params: dict[str, float | int | str | bool] = {
        "frame": f"{frame_w}x{frame_h}",
        "page_fraction": round(fill, 3),
        "rotation": round(float(np.rad2deg(angle)), 3),
        "blur_sigma": round(sigma, 3),
        "noise_sigma": round(noise, 3),
        "falloff": round(falloff, 3),
        "shadow": shadow,
    }
    return Degraded(_to_u8(img), "jpeg", quality, params)


HARSH_KINDS = ("heavy_blur", "cut_corner", "very_dark", "markers_covered")


def _marker_boxes(sheet: SheetPage) -> list[tuple[int, int, int, int]]:
    """Marker squares at 300 dpi as (x0, y0, x1, y1) pixels, in marker id order."""
    s = BASE_DPI / 72.0
    return [
        (int(m.x * s), int(m.y * s), int((m.x + m.size) * s), int((m.y + m.size) * s))
        for m in sorted(sheet.markers, key=lambda m: m.id)
    ]


def harsh(page: np.ndarray, sheet: SheetPage, rng: np.random.Generator) -> Degraded:
    """Beyond tolerance: one or two harsh faults, then a mild scan."""
    count = 1 + int(rng.random() < 0.3)
    kinds = [str(k) for k in rng.choice(HARSH_KINDS, size=count, replace=False)]
    img: np.ndarray = page.astype(np.float32)
    params: dict[str, float | int | str | bool] = {"harsh": "+".join(kinds)}
    h, w = page.shape
    boxes = _marker_boxes(sheet)
    if "cut_corner" in kinds:
        # A torn or folded corner: a triangle over a whole marker is gone (scanner lid white).
        corner = int(rng.integers(0, 4))
        x0, y0, x1, y1 = boxes[corner]
        cx = 0 if corner in (0, 3) else w
        cy = 0 if corner in (0, 1) else h
        # The cut line (x + y = reach from the page corner) passes beyond the marker's far
        # corner, so the whole marker is gone and little else.
        far = (x1 if cx == 0 else w - x0) + (y1 if cy == 0 else h - y0)
        reach = float(rng.uniform(1.05, 1.4)) * far
        tri = np.array(
            [
                [cx, cy],
                [cx + (reach if cx == 0 else -reach), cy],
                [cx, cy + (reach if cy == 0 else -reach)],
            ],
            np.int32,
        )
        cv2.fillPoly(img, [tri], float(rng.uniform(225, 255)))
        params["cut_corner"] = corner
    if "markers_covered" in kinds:
        # Stickers or a thumb over two markers: nothing of them is visible.
        covered = sorted(int(i) for i in rng.choice(4, size=2, replace=False))
        for i in covered:
            x0, y0, x1, y1 = boxes[i]
            pad = int(0.15 * (x1 - x0))
            cv2.rectangle(
                img, (x0 - pad, y0 - pad), (x1 + pad, y1 + pad), float(rng.uniform(150, 250)), -1
            )
        params["markers_covered"] = ",".join(map(str, covered))
    if "heavy_blur" in kinds:
        sigma = float(rng.uniform(9, 16))
        # Blur at 1/4 size and scale back: the same look, 16x less work than a 100 px kernel.
        small = cv2.resize(img, (w // 4, h // 4), interpolation=cv2.INTER_AREA)
        small = cv2.GaussianBlur(small, (0, 0), sigma / 4)
        img = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
        params["heavy_blur_sigma"] = round(sigma, 2)
    if "very_dark" in kinds:
        white = float(rng.uniform(35, 70))
        img = _levels(_to_u8(img), white, float(rng.uniform(0, 15)))
        img = _noise(img, rng, float(rng.uniform(4, 8)))
        params["very_dark_white"] = round(white, 1)
    out = scan(_to_u8(img), rng, mild=True)
    out.params = {**params, **out.params}
    return out


def office(page: np.ndarray, rng: np.random.Generator) -> Degraded:
    """An office multifunction printer's scan: 200 or 300 dpi, small skew, the scanner's
    soft optics, JPEG at its default quality. Grey or colour (``page`` (H, W) or (H, W, 3))."""
    dpi = int(rng.choice([200, 300]))
    scale = dpi / BASE_DPI
    image = cv2.resize(page, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    white, black = float(rng.uniform(225, 250)), float(rng.uniform(8, 35))
    img = _levels(image, white, black)
    angle = float(rng.uniform(-1.5, 1.5))
    border = float(rng.uniform(225, 250))
    pad = int(0.03 * max(img.shape[:2]))
    img = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=[border] * 3)
    img = _rotate(img, angle + (180.0 if rng.random() < 0.1 else 0.0), (0.0, 0.0), border)
    sigma = float(rng.uniform(0.4, 0.9)) * scale * 1.5
    img = cv2.GaussianBlur(img, (0, 0), sigma)
    noise = float(rng.uniform(0.8, 2.5))
    quality = int(rng.integers(70, 93))
    img = _noise(img, rng, noise)
    params: dict[str, float | int | str | bool] = {
        "dpi": dpi,
        "rotation": round(angle, 3),
        "blur_sigma": round(sigma, 3),
        "noise_sigma": round(noise, 3),
        "colour": page.ndim == 3,
    }
    return Degraded(_to_u8(img), "jpeg", quality, params)


def bilevel(page: np.ndarray, rng: np.random.Generator) -> Degraded:
    """A bulk scanner's black-and-white default: 200/300 dpi, a fixed threshold (110-170) or
    error diffusion, written as a Group-4 TIFF or a PDF with a CCITT image."""
    from PIL import Image

    dpi = int(rng.choice([200, 300]))
    scale = dpi / BASE_DPI
    image = cv2.resize(page, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    img = _levels(image, float(rng.uniform(230, 252)), float(rng.uniform(5, 30)))
    angle = float(rng.uniform(-1.0, 1.0))
    img = _rotate(img, angle, (0.0, 0.0), 245.0)
    img = cv2.GaussianBlur(img, (0, 0), 0.5)
    img = _noise(img, rng, float(rng.uniform(1.0, 3.0)))
    grey = _to_u8(img)
    dither = bool(rng.random() < 0.35)
    threshold = int(rng.integers(110, 171))
    if dither:
        binary = np.asarray(Image.fromarray(grey).convert("1"), dtype=np.uint8) * 255
    else:
        binary = np.where(grey >= threshold, 255, 0).astype(np.uint8)
    encoding: Encoding = "pdf-ccitt" if rng.random() < 0.4 else "tiff-g4"
    params: dict[str, float | int | str | bool] = {
        "dpi": dpi,
        "rotation": round(angle, 3),
        "binarise": "dither" if dither else f"threshold {threshold}",
    }
    return Degraded(binary, encoding, None, params)


def phone(page: np.ndarray, rng: np.random.Generator) -> Degraded:
    """A phone photo of a page that does not lie flat: the paper curls a little and the
    photographer's hand casts a shadow, then :func:`photo`."""
    h, w = page.shape[:2]
    xs, ys = _grid((h, w))
    amount = float(rng.uniform(0.001, 0.004)) * w
    bend = amount * np.sin(np.pi * ys / h) * (xs / w - 0.5) * 2
    map_x = _upsample(xs + bend, (h, w))
    map_y = _upsample(ys + amount * 0.5 * np.sin(np.pi * xs / w), (h, w))
    curled = cv2.remap(page, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    if rng.random() < 0.5:
        side = int(rng.integers(4))
        cx = [0.0, w, 0.5 * w, 0.5 * w][side] + rng.uniform(-0.2, 0.2) * w
        cy = [0.5 * h, 0.5 * h, 0.0, h][side] + rng.uniform(-0.2, 0.2) * h
        dist = np.hypot((xs - cx) / (0.35 * w), (ys - cy) / (0.3 * h))
        shade = 1 - float(rng.uniform(0.15, 0.35)) / (1 + np.exp((dist - 1) * 6))
        curled = _to_u8(curled.astype(np.float32) * _upsample(shade, (h, w)))
    out = photo(curled, rng)
    out.params = {"curl_px": round(amount, 1), **out.params}
    return out


def encode(degraded: Degraded) -> tuple[bytes, str]:
    """Encode to PNG, JPEG, Group-4 TIFF or CCITT PDF bytes; returns (bytes, file suffix)."""
    if degraded.encoding in ("tiff-g4", "pdf-ccitt"):
        import io

        from PIL import Image

        picture = Image.fromarray(degraded.image).convert("1", dither=Image.Dither.NONE)
        dpi = int(degraded.params.get("dpi", BASE_DPI))
        out = io.BytesIO()
        if degraded.encoding == "tiff-g4":
            picture.save(out, format="TIFF", compression="group4", dpi=(dpi, dpi))
            return out.getvalue(), ".tif"
        picture.save(out, format="PDF", resolution=dpi)
        return out.getvalue(), ".pdf"
    if degraded.encoding == "jpeg":
        quality = degraded.quality or 90
        ok, buffer = cv2.imencode(".jpg", degraded.image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        suffix = ".jpg"
    else:
        ok, buffer = cv2.imencode(".png", degraded.image, [cv2.IMWRITE_PNG_COMPRESSION, 6])
        suffix = ".png"
    if not ok:  # pragma: no cover - OpenCV encoders do not fail on valid uint8 arrays
        raise RuntimeError("image encoding failed")
    return buffer.tobytes(), suffix
