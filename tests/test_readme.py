"""The README's day, run as written: a newcomer who types its commands in the checkout gets
every step done (exit 0), with the sample files the checkout has."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

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
    assert [c[0] for c in commands] == [
        "testgen", "omr", "omr", "scoring", "scoring", "scoring", "scoring", "scoring", "scoring",
    ]  # fmt: skip
    for argv in commands:
        done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True)
        assert done.returncode == 0, (argv, done.stdout[-2000:], done.stderr[-2000:])
    assert (tmp_path / "reports" / "math-2026-acceptance" / "teachers" / "311266.pdf").is_file()


def test_the_russian_readme_gives_the_same_day() -> None:
    def without_reason(commands: list[list[str]]) -> list[list[str]]:
        return [c[: c.index("--reason")] if "--reason" in c else c for c in commands]

    russian = readme_day("README.ru.md", "## Рабочий день команды мониторинга")
    assert without_reason(russian) == without_reason(readme_day())
