"""The README's day, run as written: a newcomer who types its commands in the checkout gets
every step done (exit 0), with the sample files the checkout has."""

from __future__ import annotations

import csv
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from demo.session import decision_from_truth, meant_answers

ROOT = Path(__file__).resolve().parent.parent


def readme_day(
    name: str = "README.md", heading: str = "## The day of the monitoring team"
) -> list[list[str]]:
    """The commands of the README's day block (the ``sh`` block after ``activate``)."""
    text = (ROOT / name).read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    day = next(b for b in blocks if "testgen build" in b)
    joined = day.replace("\\\n", " ")
    return [shlex.split(line) for line in joined.splitlines() if line.strip() and not
            line.lstrip().startswith("#")]  # fmt: skip


def test_the_readme_names_how_the_commands_are_reached() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert ". .venv/bin/activate" in text


def test_the_readme_day_runs_as_written(tmp_path: Path) -> None:
    # the checkout's inputs, in a folder of its own (the commands use relative paths)
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("MONITORING_DB", None)
    commands = readme_day()
    assert [c[:2] for c in commands] == [
        ["testgen", "build"], ["omr", "simulate"], ["omr", "scan"], ["scoring", "roster"],
        ["scoring", "import"], ["scoring", "import"], ["scoring", "status"],
        ["scoring", "review"], ["scoring", "review"], ["scoring", "report"],
    ]  # fmt: skip
    for argv in commands:
        if "--apply" in argv:
            _fill_decisions(tmp_path / "queue.csv", tmp_path / "scans")  # what the person does
        done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True)
        assert done.returncode == 0, (argv, done.stdout[-2000:], done.stderr[-2000:])
    assert (tmp_path / "reports" / "math-2026-acceptance" / "teachers" / "311266.pdf").is_file()


def _fill_decisions(queue: Path, scans: Path) -> None:
    """The person's part of step 5: look at each item and write the decision, here from
    what the simulated teachers meant."""
    meant = meant_answers(scans)
    rows = list(csv.DictReader(queue.read_text(encoding="utf-8-sig").splitlines()))
    assert rows, "the demo's scans leave something for a person"
    for row in rows:
        question = int(row["question"]) if row["question"] else None
        row["decision"] = decision_from_truth(row["kind"], row["teacher_id"], question, meant)
    with queue.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_the_russian_readme_gives_the_same_day() -> None:
    russian = readme_day("README.ru.md", "## Рабочий день команды мониторинга")
    assert russian == readme_day()


def readme_poll(name: str = "README.md") -> list[list[str]]:
    """The commands of the README's poll block."""
    text = (ROOT / name).read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```sh\n(.*?)```", text, re.S) if "cluster-poll" in b)
    return [shlex.split(line, comments=True) for line in block.splitlines() if line.strip()]


def test_the_readme_poll_runs_as_written(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("MONITORING_DB", None)
    # the day above made the store
    setup = ["scoring", "roster", "import", "templates/roster-sample.csv"]
    subprocess.run(setup, cwd=tmp_path, env=env, capture_output=True, check=True)
    for argv in readme_poll():
        done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True)
        assert done.returncode == 0, (argv, done.stdout[-2000:], done.stderr[-2000:])
    table = tmp_path / "reports" / "cluster-poll-2026" / "table3.csv"
    assert "Общий уровень, %" in table.read_text(encoding="utf-8-sig")
    assert readme_poll("README.ru.md") == readme_poll()
