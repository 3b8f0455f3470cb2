"""OMR reading speed against the bare decode time of the same files.

Generates its own sheets (testgen's renderer, marks drawn at manifest positions, saved as
300 dpi PNG and JPEG), then measures, one process:

- bare decode: ``cv2.imread(path)`` alone (OpenCV's default flags), per file;
- reading: :func:`omr.worker.read_job`, the whole per-page work of ``omr scan`` (read the
  file, decode, locate, QR, marks, result record), per file;

and prints the per-sheet times and their ratio per format (target: reading <= 1.3x bare
decode). Then ``omr scan``'s batch runner on the whole folder with 1 worker and with one
worker per core: sheets/s and the pool's speed-up.

    python -m bench.omr_speed                 # 80 sheets (40 PNG + 40 JPEG)
    python -m bench.omr_speed --sheets 100 --repeat 5
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import click
import cv2

from omr.batch import ScanOptions, default_workers, manifest_ref, scan
from omr.inputs import plan_file
from omr.worker import read_job
from testgen.manifest import write_manifest
from testkit.packages import fill_bubbles, make_manifest, render_blank, sample_answers

DPI = 300
QUESTIONS, OPTIONS = 40, 5


def make_sheets(folder: Path, count: int) -> tuple[Path, list[Path]]:
    """A test package and ``count`` filled sheets, alternating PNG and JPEG (quality 90)."""
    manifest = make_manifest(QUESTIONS, OPTIONS, variants=4, test_id="speed-2026")
    package = folder / "package"
    package.mkdir()
    write_manifest(manifest, package / "manifest.json")
    layout = manifest.layout_of_kind("anonymous")
    blanks = {v: render_blank(manifest, v, dpi=DPI)[0] for v in range(1, 5)}
    scans = folder / "scans"
    scans.mkdir()
    files = []
    for k in range(count):
        image = fill_bubbles(
            blanks[k % 4 + 1].copy(),
            layout,
            1,
            sample_answers(QUESTIONS, OPTIONS, seed=k),
            respondent=f"{k:06d}",
            dpi=DPI,
        )
        if k % 2 == 0:
            path = scans / f"sheet-{k:04d}.png"
            cv2.imwrite(str(path), image)
        else:
            path = scans / f"sheet-{k:04d}.jpg"
            cv2.imwrite(str(path), image, [cv2.IMWRITE_JPEG_QUALITY, 90])
        files.append(path)
    return package, files


def _best_of(repeat: int, work) -> float:
    """Best wall time of ``repeat`` runs: the least disturbed by the rest of the machine."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


@click.command()
@click.option("--sheets", default=80, show_default=True, help="Sheets to generate.")
@click.option("--repeat", default=3, show_default=True, help="Timing runs per file (best).")
@click.option("--workers", default=0, help="Pool size for the speed-up [default: cores].")
def main(sheets: int, repeat: int, workers: int) -> None:
    workers = workers or default_workers()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"Generating {sheets} sheets at {DPI} dpi ({QUESTIONS} questions) ...", flush=True)
        package, files = make_sheets(folder, sheets)
        _, ref = manifest_ref(package)
        jobs = {path: plan_file(path)[0] for path in files}
        for path in files[:2]:  # warm caches (manifest, detectors) before timing
            read_job(jobs[path], ref)
        rows: dict[str, list[tuple[float, float, float]]] = {".png": [], ".jpg": []}
        statuses = set()
        for path in files:
            bare = _best_of(repeat, lambda p=path: cv2.imread(str(p)))
            grey = _best_of(repeat, lambda p=path: cv2.imread(str(p), cv2.IMREAD_GRAYSCALE))
            outcome = read_job(jobs[path], ref)
            statuses.add(outcome.result.status if outcome.result else outcome.error)
            reading = _best_of(repeat, lambda p=path: read_job(jobs[p], ref))
            rows[path.suffix].append((bare, reading, grey))
        print(f"\nOne process, per sheet (best of {repeat}); every sheet read: {statuses}")
        print(
            f"{'format':<8}{'sheets':>7}{'bare decode':>14}{'omr read':>12}{'ratio':>8}"
            f"{'(grey decode':>15}{'ratio)':>8}"
        )
        all_bare, all_read = [], []
        for suffix, pairs in rows.items():
            bare = statistics.mean(p[0] for p in pairs)
            reading = statistics.mean(p[1] for p in pairs)
            grey = statistics.mean(p[2] for p in pairs)
            all_bare += [p[0] for p in pairs]
            all_read += [p[1] for p in pairs]
            print(
                f"{suffix[1:].upper():<8}{len(pairs):>7}{bare * 1000:>11.1f} ms"
                f"{reading * 1000:>9.1f} ms{reading / bare:>7.2f}x"
                f"{grey * 1000:>12.1f} ms{reading / grey:>7.2f}x"
            )
        ratio = sum(all_read) / sum(all_bare)
        print(
            f"{'all':<8}{len(all_bare):>7}{statistics.mean(all_bare) * 1000:>11.1f} ms"
            f"{statistics.mean(all_read) * 1000:>9.1f} ms{ratio:>7.2f}x   (target <= 1.30x)"
        )

        print(f"\nomr scan on the folder ({sheets} sheets, fresh results each run):")
        rates = {}
        for count in sorted({1, workers}):
            out = folder / f"results-{count}"
            summary = scan(ScanOptions([folder / "scans"], package, out, workers=count))
            rates[count] = summary.pages / summary.seconds
            print(
                f"  {count} worker(s): {summary.seconds:6.2f} s, {rates[count]:6.1f} sheets/s"
                f" (pool start-up included)"
            )
        if workers > 1:
            print(f"  speed-up with {workers} workers: {rates[workers] / rates[1]:.2f}x")


if __name__ == "__main__":
    main()
