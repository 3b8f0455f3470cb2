"""Ink on paper: the shape of one mark (pen, soft and light pencil with graphite grain,
partial fills, ticks, crosses, erasures with residue, dots) as a small coverage patch, and
stamping patches onto a page's ink layer."""

from __future__ import annotations

import cv2
import numpy as np

from common.i18n import tr


def _patch_size(r: float) -> int:
    return int(np.ceil(r * 1.6)) * 2 + 1


def _disc(rng: np.random.Generator, r: float, k: tuple[float, float], wobble: float) -> np.ndarray:
    """A hand-drawn filled disc on a square patch centred on the bubble: (S, S) float32 0..1."""
    size = _patch_size(r)
    c = size // 2
    radius = r * rng.uniform(*k)
    angles = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    # A few low harmonics make the outline look drawn, not stamped.
    harmonics = sum(
        rng.uniform(-wobble, wobble) * np.cos(h * angles + rng.uniform(0, 2 * np.pi))
        for h in (2, 3, 5)
    )
    rr = radius * (1 + harmonics)
    off = rng.uniform(-0.1, 0.1, 2) * r
    pts = np.stack([c + off[0] + rr * np.cos(angles), c + off[1] + rr * np.sin(angles)], axis=1)
    mask = np.zeros((size, size), np.uint8)
    cv2.fillPoly(mask, [np.rint(pts * 8).astype(np.int32)], 255, cv2.LINE_AA, shift=3)
    return mask.astype(np.float32) / 255.0


def _grain(rng: np.random.Generator, shape: tuple[int, ...], amount: float) -> np.ndarray:
    """Graphite grain with mean 1: pencil never covers paper evenly."""
    noise = cv2.GaussianBlur(rng.random(shape).astype(np.float32), (0, 0), 0.8)
    noise = (noise - noise.mean()) / max(float(noise.std()), 1e-6)
    return np.clip(1.0 + amount * noise, 0.0, 1.6)


def _stroke(size: int, pts: np.ndarray, thickness: float) -> np.ndarray:
    mask = np.zeros((size, size), np.uint8)
    cv2.polylines(
        mask,
        [np.rint(pts * 8).astype(np.int32)],
        False,
        255,
        max(1, round(thickness)),
        cv2.LINE_AA,
        3,
    )
    return mask.astype(np.float32) / 255.0


def draw_mark(kind: str, r: float, rng: np.random.Generator) -> np.ndarray:
    """Darkness patch (0 paper .. 1 black) of one mark, (S, S) float32, centred on the bubble.

    ``r`` is the bubble radius in pixels.
    """
    size = _patch_size(r)
    c = size // 2
    if kind == "pen":
        return _disc(rng, r, (0.88, 1.1), 0.05) * rng.uniform(0.82, 0.95)
    if kind == "pencil_soft":
        d = rng.uniform(0.6, 0.8)
        disc = _disc(rng, r, (0.85, 1.08), 0.06)
        return np.clip(disc * d * _grain(rng, disc.shape, 0.25), 0, 1)
    if kind == "pencil_light":
        d = rng.uniform(0.42, 0.55)
        disc = _disc(rng, r, (0.85, 1.05), 0.06)
        return np.clip(disc * d * _grain(rng, disc.shape, 0.3), 0, 1)
    if kind == "pencil_half":
        # Half the bubble (50-65 % of its area) at 40-50 % darkness: the rule says it
        # must count.
        d = rng.uniform(0.4, 0.5)
        disc = _disc(rng, r, (0.95, 1.02), 0.03)
        ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) - c
        a = rng.uniform(0, 2 * np.pi)
        along = xs * np.cos(a) + ys * np.sin(a)
        # For a unit disc, the part beyond -0.0..-0.25 r covers 50..65 % of the area.
        cut = -rng.uniform(0.0, 0.25) * r
        return np.clip(disc * (along > cut) * d * _grain(rng, disc.shape, 0.3), 0, 1)
    if kind == "partial":
        # A quick scribble that leaves gaps: 70-90 % covered.
        disc = _disc(rng, r, (0.8, 0.95), 0.05)
        for _ in range(int(rng.integers(2, 5))):
            hole = np.zeros_like(disc)
            p = c + rng.uniform(-0.6, 0.6, 2) * r
            cv2.circle(hole, (int(p[0]), int(p[1])), int(r * rng.uniform(0.12, 0.22)), 1.0, -1)
            disc *= 1 - hole
        return disc * rng.uniform(0.8, 0.95)
    if kind == "dot":
        dot = np.zeros((size, size), np.float32)
        p = c + rng.uniform(-0.3, 0.3, 2) * r
        cv2.circle(dot, (int(p[0]), int(p[1])), max(1, int(r * rng.uniform(0.12, 0.2))), 1.0, -1)
        return dot * rng.uniform(0.8, 0.95)
    if kind in ("tick", "cross"):
        t = r * rng.uniform(0.15, 0.22)
        jitter = rng.uniform(-0.12, 0.12, (3, 2)) * r
        if kind == "tick":
            pts = np.array([[-0.6, 0.0], [-0.1, 0.6], [0.9, -0.9]]) * r + jitter + c
            return _stroke(size, pts, t) * rng.uniform(0.82, 0.95)
        one = np.array([[-0.8, -0.8], [0.8, 0.8]]) * r + jitter[:2] + c
        two = np.array([[0.8, -0.8], [-0.8, 0.8]]) * r + jitter[1:] + c
        return np.maximum(_stroke(size, one, t), _stroke(size, two, t)) * rng.uniform(0.82, 0.95)
    if kind in ("erased_light", "erased_heavy"):
        residue = rng.uniform(0.05, 0.1) if kind == "erased_light" else rng.uniform(0.2, 0.32)
        disc = _disc(rng, r, (0.9, 1.1), 0.06)
        smudge = cv2.GaussianBlur(disc, (0, 0), r * 0.2)
        return np.clip(smudge * residue * _grain(rng, disc.shape, 0.4), 0, 1)
    if kind == "faint":
        # A hesitant light pencil touch over part of the bubble: truly in doubt.
        d = rng.uniform(0.2, 0.3)
        disc = _disc(rng, r, (0.6, 0.8), 0.1)
        return np.clip(disc * d * _grain(rng, disc.shape, 0.3), 0, 1)
    raise ValueError(tr("unknown mark kind {kind!r}", kind=kind))


def stamp(ink: np.ndarray, patch: np.ndarray, cx: float, cy: float) -> None:
    """Combine a centred patch into the page's ink layer (overlapping ink does not add up)."""
    size = patch.shape[0]
    x0, y0 = round(cx) - size // 2, round(cy) - size // 2
    h, w = ink.shape
    xa, ya = max(x0, 0), max(y0, 0)
    xb, yb = min(x0 + size, w), min(y0 + size, h)
    if xa >= xb or ya >= yb:
        return
    region = ink[ya:yb, xa:xb]
    np.maximum(region, patch[ya - y0 : yb - y0, xa - x0 : xb - x0], out=region)
