"""Scanned PDFs through pypdfium2: page count and greyscale rasterising.

PDFium is not thread-safe, so every call in a process goes through one lock: a Dask worker
running several threads still rasterises one page at a time, and parallelism comes from
worker *processes* only.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from common.errors import ImageError
from common.i18n import tr
from omr.imageio import DEFAULT_LIMITS, Limits, check_size

RASTER_DPI = 150  # enough for 6 pt bubbles (12 px radius) and the QR code's modules
_PDFIUM_LOCK = threading.Lock()


def _open(source: bytes | Path, where: str) -> pdfium.PdfDocument:
    try:
        # a path is read lazily by PDFium: a page of a 400-page scan loads only what it uses
        return pdfium.PdfDocument(str(source) if isinstance(source, Path) else source)
    except pdfium.PdfiumError as error:
        raise ImageError(
            tr("PDF cannot be opened: {error}", error=error), where=where, hint=tr("re-export it")
        ) from None


def pdf_page_count(data: bytes | Path, where: str) -> int:
    """Number of pages of a PDF held in memory."""
    with _PDFIUM_LOCK:
        document = _open(data, where)
        try:
            return len(document)
        finally:
            document.close()


def render_pdf_page(
    data: bytes | Path,
    page: int,
    where: str,
    dpi: int = RASTER_DPI,
    limits: Limits = DEFAULT_LIMITS,
) -> np.ndarray:
    """Rasterise page ``page`` (1-based) in greyscale.

    Returns
    -------
    image : ndarray of shape (H, W), uint8
    """
    with _PDFIUM_LOCK:
        document = _open(data, where)
        try:
            if not 1 <= page <= len(document):
                raise ImageError(
                    tr(
                        "page {page} does not exist ({n_document} pages)",
                        page=page,
                        n_document=len(document),
                    ),
                    where=where,
                )
            pdf_page = document[page - 1]
            width, height = pdf_page.get_size()
            scale = dpi / 72.0
            check_size(round(width * scale), round(height * scale), limits, where)
            try:
                bitmap = pdf_page.render(scale=scale, grayscale=True)
                image = bitmap.to_numpy().copy()
            except pdfium.PdfiumError as error:
                raise ImageError(
                    tr("PDF page cannot be rendered: {error}", error=error), where=where
                ) from None
        finally:
            document.close()
    if image.ndim == 3:
        image = image[..., 0]
    return np.ascontiguousarray(image)


def pdf_page_bilevel(data: bytes | Path, page: int, where: str) -> bool:
    """Whether page ``page`` is a 1-bit scan: every image on it has one bit per pixel (a
    CCITT or JBIG2 page, the bulk scanner's black-and-white default). Rendering smooths such
    a page into greys, so the pixels no longer tell."""
    with _PDFIUM_LOCK:
        document = _open(data, where)
        try:
            if not 1 <= page <= len(document):
                return False
            images = list(document[page - 1].get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]))
            try:
                depths = [image.get_metadata().bits_per_pixel for image in images]
            except pdfium.PdfiumError:
                return False
        finally:
            document.close()
    return bool(depths) and all(depth == 1 for depth in depths)
