"""Scoring at scale: import, merge, score and item analysis of simulated results.

    python -m bench.scoring_bench [--results 100000] [--tasks 60] [--variants 8]

A 60-task test (versions A and B) gets 8 variants from the real planner; 100,000 simulated
teachers (a one-parameter logistic model: ability ~ N(0, 1), task difficulty ~ N(0, 1)) answer
a variant each. The results go through the real roster import and the plain-CSV import into
an SQLite store in a temporary folder, then through merge, scoring (teachers × source tasks)
and item analysis. Prints the time of each step and per result; the aim is under 2 s for
scoring and statistics (merge + score + topics + item analysis) on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from common.vocabulary import LETTERS
from scoring.analysis import item_analysis, load_results, topic_scores
from scoring.ingest import import_files, import_roster
from scoring.store import open_store
from testgen.build import assemble_manifest
from testgen.manifest import Manifest, write_manifest
from testgen.planner import plan_variants
from testgen.spec import TestSpec, parse_spec


def make_spec(n: int) -> TestSpec:
    sources = {
        v: {
            "tasks": [
                {
                    "id": f"{v.lower()}{k + 1:02d}",
                    "topic": f"Тема {k % 6 + 1}",
                    "stem": f"Задание {k + 1}",
                    "options": [f"{v}{k + 1} ответ {o + 1}" for o in range(4)],
                    "correct": LETTERS[(k * 7 + (v == "B")) % 4],
                }
                for k in range(n)
            ]
        }
        for v in ("A", "B")
    }
    return parse_spec(
        {
            "id": "bench-2026",
            "department": "mathematics",
            "year": 2026,
            "stage": "final",
            "title": "Benchmark",
            "sources": sources,
        }
    )


def make_manifest(spec: TestSpec, variants: int) -> Manifest:
    plan = plan_variants(spec, variants, seed=2011)
    return assemble_manifest(spec, plan, [], spec_sha256="0" * 64, generator="bench")


def simulate(manifest: Manifest, count: int, seed: int, folder: Path) -> tuple[Path, Path]:
    """Write roster.csv and results.csv (ID, Variant, 1..N printed letters)."""
    rng = np.random.default_rng(seed)
    n = len(manifest.sources["A"].tasks)
    v_count = len(manifest.variants)
    keys = np.array([[LETTERS.index(it.key) for it in v.items] for v in manifest.variants])
    # difficulty belongs to the source task, so every variant prints it equally hard
    columns = np.array(
        [[(it.version == "B") * n + it.source_position - 1 for it in v.items]
         for v in manifest.variants]
    )  # fmt: skip
    difficulty = rng.normal(0, 1, 2 * n)[columns]
    ability = rng.normal(0, 1, count)
    variant = np.arange(count) % v_count
    p = 1 / (1 + np.exp(-(ability[:, None] - difficulty[variant])))
    right = rng.random((count, n)) < p
    wrong = (keys[variant] + rng.integers(1, 4, (count, n))) % 4
    letters = np.where(right, keys[variant], wrong)
    blank = rng.random((count, n)) < 0.01
    table = np.array(list("ABCD"))[letters]
    table[blank] = ""
    ids = [f"{100000 + t}" for t in range(count)]
    roster = folder / "roster.csv"
    with roster.open("w", encoding="utf-8") as out:
        out.write("id,name,department,school,email\n")
        for t, tid in enumerate(ids):
            out.write(f"{tid},Учитель {t},mathematics,Школа {t % 50 + 1},\n")
    results = folder / "results.csv"
    with results.open("w", encoding="utf-8") as out:
        out.write("ID,Variant," + ",".join(str(q + 1) for q in range(n)) + "\n")
        for t, tid in enumerate(ids):
            out.write(f"{tid},{variant[t] + 1}," + ",".join(table[t]) + "\n")
    return roster, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=100_000)
    parser.add_argument("--tasks", type=int, default=60)
    parser.add_argument("--variants", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--repeat", type=int, default=3, help="Runs of scoring and statistics (best is shown)."
    )
    args = parser.parse_args()
    spec = make_spec(args.tasks)
    manifest = make_manifest(spec, args.variants)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        test_dir = folder / "build" / spec.id
        test_dir.mkdir(parents=True)
        write_manifest(manifest, test_dir / "manifest.json")
        t0 = time.perf_counter()
        roster, results = simulate(manifest, args.results, args.seed, folder)
        t_sim = time.perf_counter() - t0
        with open_store(folder / "bench.db") as store:
            t0 = time.perf_counter()
            import_roster(store, roster)
            t_roster = time.perf_counter() - t0
            t0 = time.perf_counter()
            report = import_files(store, [results], test_dir)
            t_import = time.perf_counter() - t0
            t0 = time.perf_counter()
            again = import_files(store, [results], test_dir)
            t_reimport = time.perf_counter() - t0
            runs = []
            for _ in range(args.repeat):
                c0, t0 = time.process_time(), time.perf_counter()
                res = load_results(store, spec.id)
                t_score = time.perf_counter() - t0
                t0 = time.perf_counter()
                topics = topic_scores(res)
                t_topics = time.perf_counter() - t0
                t0 = time.perf_counter()
                ia = item_analysis(res)
                t_items = time.perf_counter() - t0
                runs.append((t_score + t_topics + t_items, t_score, t_topics, t_items,
                             time.process_time() - c0))  # fmt: skip
            walls = sorted(r[0] for r in runs)
            stats_total, t_score, t_topics, t_items, cpu = min(runs)
    n = args.results
    print(f"scoring bench: {n} results x {args.tasks} tasks, {args.variants} variants")
    print(f"  simulate + write CSV        {t_sim:7.2f} s")
    print(f"  roster import               {t_roster:7.2f} s  ({1e6 * t_roster / n:.1f} us/teacher)")
    print(
        f"  import results              {t_import:7.2f} s  ({1e6 * t_import / n:.1f} us/result; "
        f"{report.files[0].new} new)"
    )
    print(
        f"  re-import (nothing new)     {t_reimport:7.2f} s  ({again.files[0].new} new, "
        f"{again.files[0].unchanged} unchanged)"
    )
    print(f"  merge + score matrices      {t_score:7.2f} s  ({1e6 * t_score / n:.1f} us/result)")
    print(f"  topic sub-scores            {t_topics:7.2f} s  ({len(topics.topics)} topics)")
    print(f"  item analysis + alerts      {t_items:7.2f} s  ({len(ia.alerts)} alerts)")
    print(
        f"  scoring and statistics      {stats_total:7.2f} s  (aim < 2 s: "
        f"{'met' if stats_total < 2 else 'NOT met'}; {stats_total / 2:.2f} x the aim; "
        f"{cpu:.2f} s CPU in this process)"
    )
    print(
        f"  (steps above: the best of {args.repeat} runs; all runs: "
        + ", ".join(f"{w:.2f}" for w in walls)
        + " s)"
    )
    print(f"  load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        f"  mean score {res.matrix.score.mean():.2f} of {res.matrix.max_score.mean():.0f}; "
        f"alpha {ia.reliability.alpha:.3f}; SEM {ia.reliability.sem:.2f}"
    )


if __name__ == "__main__":
    main()
