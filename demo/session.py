"""The monitoring team's day, end to end, on generated data: used by ``make demo`` and by
``bench/session_bench.py``.

Each step runs the real command-line tool in a subprocess (exactly what a user types), so the
times include everything a user waits for. Only the inputs are generated here: the filled,
scanned sheets (``omr simulate``'s library) and an online Moodle responses export.
"""

from __future__ import annotations

import csv
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from common.roster import Teacher, load_roster
from demo.paths import SAMPLE_ROSTER, SAMPLE_TESTS_DIR
from omr.sim.run import simulate
from testgen.manifest import Manifest, load_manifest

Log = Callable[[str], None]


@dataclass
class SessionTimes:
    """Seconds per step, in the order they ran."""

    steps: list[tuple[str, float]] = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(seconds for _, seconds in self.steps)


def tool(name: str) -> str:
    """The console script installed beside this Python (the venv's ``bin``)."""
    return str(Path(sys.executable).with_name(name))


def run_step(
    times: SessionTimes, label: str, argv: list[str], log: Log, *, env: dict[str, str]
) -> str:
    """Run one command, log it and its output, record its wall time; fail loudly."""
    shown = " ".join(shlex.quote(Path(a).name if i == 0 else a) for i, a in enumerate(argv))
    log(f"$ {shown}")
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - started
    times.steps.append((label, seconds))
    output = done.stdout.strip()
    if output:
        log("\n".join("  " + line for line in output.splitlines()[-25:]))
    if done.returncode != 0:
        raise RuntimeError(f"{label} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    log(f"  [{label}: {seconds:.1f} s]")
    return done.stdout


def ability(rng: np.random.Generator, count: int, bonus: float = 0.0) -> np.ndarray:
    """Each teacher's chance of answering a task right, shape (count,); ``bonus`` raises it
    (teachers at the final test know more than at the acceptance test)."""
    return np.clip(rng.beta(6.0, 2.5, size=count) + bonus, 0.0, 0.99)


def online_answers(manifest: Manifest, p_right: float, rng: np.random.Generator) -> list[list[int]]:
    """Source-order answers of version A: per task the chosen source option indices."""
    out = []
    for task in manifest.sources["A"].tasks:
        correct = task.correct_indices
        if rng.random() < p_right:
            out.append(list(correct))
        elif rng.random() < 0.05:
            out.append([])
        else:
            wrong = [i for i in range(len(task.options)) if i not in correct]
            out.append([int(rng.choice(wrong))])
    return out


def _moodle_guard(cell: str) -> str:
    """Moodle's CSV download puts ``'`` before a cell that starts like a formula."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@") else cell


def write_moodle_responses(
    manifest: Manifest,
    teachers: list[Teacher],
    rng: np.random.Generator,
    path: Path,
    bonus: float = 0.0,
) -> None:
    """A Moodle 4.5 quiz *responses* download of version A, as Moodle writes it: comma CSV
    with a BOM, the site's default identity column (e-mail only), ``Status``, the grade
    rescaled to the quiz's default maximum of 10, the chosen option's text (several joined by
    ``"; "``, ``"-"`` for none, formula-guarded)."""
    tasks = manifest.sources["A"].tasks
    total = sum(t.points for t in tasks)
    header = [
        "Last name", "First name", "Email address", "Status", "Started", "Completed",
        "Duration", "Grade/10.00", *[f"Response {k}" for k in range(1, len(tasks) + 1)],
    ]  # fmt: skip
    skill = ability(rng, len(teachers), bonus)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for teacher, p in zip(teachers, skill, strict=True):
            answers = online_answers(manifest, float(p), rng)
            grade = sum(
                t.points for t, a in zip(tasks, answers, strict=True) if a == t.correct_indices
            )
            surname, _, first = teacher.name.partition(" ")
            cells = [
                "; ".join(tasks[k].options[i].text for i in chosen) or "-"
                for k, chosen in enumerate(answers)
            ]
            writer.writerow(
                [
                    _moodle_guard(c)
                    for c in [
                        surname, first, teacher.email, "Finished",
                        "23 November 2026  10:00 AM", "23 November 2026  10:52 AM",
                        "52 mins", f"{10 * grade / total:.2f}", *cells,
                    ]
                ]
            )  # fmt: skip


def split_teachers(
    teachers: list[Teacher], scanned_fraction: float, rng: np.random.Generator
) -> tuple[list[Teacher], list[Teacher]]:
    """(scanned, online): a seeded split of the department."""
    order = rng.permutation(len(teachers))
    cut = round(len(teachers) * scanned_fraction)
    return [teachers[i] for i in order[:cut]], [teachers[i] for i in order[cut:]]


def run_session(
    work: Path,
    *,
    spec: Path = SAMPLE_TESTS_DIR / "math-2026-acceptance.yaml",
    roster: Path = SAMPLE_ROSTER,
    scanned_fraction: float = 0.75,
    profile: str = "scan",
    seed: int = 2011,
    workers: int = 0,
    resolve_flags: bool = False,
    skill_bonus: float = 0.0,
    log: Log = lambda _: None,
) -> tuple[SessionTimes, Path]:
    """Build, print, simulate, scan, import and report one test session in ``work``.

    Several sessions (tests) may share ``work``: they share the store, so the reports of a
    later test show the history and growth of the earlier ones. With ``resolve_flags`` every
    review item is settled through the review library from the simulator's ground truth, as a
    reviewer would settle it by looking at the sheet; without, the reports are published as
    preliminary (``--allow-unresolved``) and the queue waits. Returns the step times and the
    reports folder.
    """
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, MONITORING_DB=str(work / "monitoring.db"))
    times = SessionTimes()
    rng = np.random.default_rng(seed)
    test_id = spec.stem
    package = work / "build" / test_id
    worker_args = ["--workers", str(workers)] if workers else []

    run_step(
        times, "testgen build",
        [tool("testgen"), "build", str(spec), "--variants", "8", "--seed", str(seed),
         "--roster", str(roster), "--out", str(package)],
        log, env=env,
    )  # fmt: skip
    manifest = load_manifest(package)
    teachers, _ = load_roster(roster)
    department = [t for t in teachers if t.department == manifest.test.department]
    scanned, online = split_teachers(department, scanned_fraction, rng)

    started = time.perf_counter()
    scans = work / "scans" / test_id
    # The scanned teachers fill the personalised sheets printed for them (ID in the QR code).
    simulate(
        manifest, package, len(scanned), profile, seed, scans,
        respondents=[t.id for t in scanned],
        skills=[float(p) for p in ability(rng, len(scanned), skill_bonus)],
        workers=max(1, workers or os.cpu_count() or 1),
        kind="personal",
    )  # fmt: skip
    exports = work / "exports" / test_id
    exports.mkdir(parents=True, exist_ok=True)
    write_moodle_responses(manifest, online, rng, exports / "moodle-responses.csv", skill_bonus)
    times.steps.append(("simulate scans + online export", time.perf_counter() - started))
    log(
        f"  simulated {len(scanned)} scanned personalised sheets ({profile}) and "
        f"{len(online)} online attempts [{times.steps[-1][1]:.1f} s]"
    )

    results = work / "results" / test_id
    run_step(
        times, "omr scan",
        [tool("omr"), "scan", str(scans / "sheets"), "--test", str(package),
         "--out", str(results), *worker_args],
        log, env=env,
    )  # fmt: skip
    run_step(
        times, "scoring roster import",
        [tool("scoring"), "roster", "import", str(roster)], log, env=env,
    )  # fmt: skip
    run_step(
        times, "scoring import",
        [tool("scoring"), "import", str(results / "results.jsonl"),
         str(exports / "moodle-responses.csv"), "--test", str(package)],
        log, env=env,
    )  # fmt: skip
    if resolve_flags:
        started = time.perf_counter()
        count = resolve_flags_from_truth(work / "monitoring.db", test_id, scans)
        times.steps.append(("settle the review queue", time.perf_counter() - started))
        seconds = times.steps[-1][1]
        log(f"  settled {count} review item(s) from the ground truth [{seconds:.1f} s]")
    reports = work / "reports"
    # Without a reviewer (the demo), the reports are published as preliminary and say so;
    # the review queue waits for `scoring review`.
    waiting = [] if resolve_flags else ["--allow-unresolved"]
    run_step(
        times, "scoring report",
        [tool("scoring"), "report", "--test", test_id, "--out", str(reports), *waiting],
        log, env=env,
    )  # fmt: skip
    return times, reports / test_id


def meant_answers(scans: Path) -> dict[tuple[str, int], str]:
    """(respondent, printed question) -> what the person meant on the simulated sheets in
    ``scans``, as a reviewer records it: letters, ``-`` for none."""
    from omr.sim.truth import load_truth

    meant = {}
    for sheet in load_truth(scans):
        for q in sheet.questions:
            answer = q.letters if q.state in ("marked", "multiple") else ""
            meant[(sheet.respondent or "", q.position)] = answer or "-"
    return meant


def decision_from_truth(
    kind: str, teacher_id: str, question: int | None, meant: dict[tuple[str, int], str]
) -> str:
    """What a reviewer who looks at the paper decides for one review item: a question from
    what the person meant, a flagged page confirmed, a live/remote conflict by the live sheet,
    an unknown or refused sheet set aside."""
    if kind in ("question", "double"):
        return meant.get((teacher_id, question or 0), "-")
    return {"page": "confirm", "conflict": "live"}.get(kind, "rescan")


def resolve_flags_from_truth(db: Path, test_id: str, scans: Path) -> int:
    """Settle every open review item by :func:`decision_from_truth`; returns how many."""
    from scoring.review import build_queue, settle
    from scoring.store import open_store

    meant = meant_answers(scans)
    count = 0
    with open_store(db) as store:
        for item in build_queue(store, test_id).open:
            value = decision_from_truth(item.kind, item.teacher_id, item.question, meant)
            settle(store, test_id, item.key, value, "session-bench", "checked on the sheet")
            count += 1
    return count


def open_review_items(db: Path, test_id: str) -> int:
    from scoring.review import unresolved
    from scoring.store import open_store

    with open_store(db, create=False) as store:
        return unresolved(store, test_id)
