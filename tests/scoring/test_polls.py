"""Poll answers in (paper results, Google Forms, Microsoft Forms, Moodle feedback), the rows in
doubt settled in the review, Table 3 equal to the hand computation, anonymity kept."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from omr.results import QuestionRead, SheetResult, SourceRef
from scoring.cli import main
from scoring.ingest import import_files
from scoring.poll_report import table_rows, write_poll_report
from scoring.polls import poll_items, poll_table
from scoring.review import apply_csv, build_queue, write_export
from scoring.store import Store
from testgen.poll import build_poll, parse_poll

EMAILS = ("ivanova@school1.ru", "petrov@school1.ru", "lebedeva@school1.ru")


def _spec(poll_id: str = "poll-2026", year: int = 2026, anonymous: bool = True) -> dict:
    return {
        "kind": "poll",
        "id": poll_id,
        "year": year,
        "title": "Опрос учителей",
        "anonymous": anonymous,
        "comment": True,
        "sections": [
            {
                "heading": "Работа кластера",
                "parameters": [
                    {"number": "1", "text": "Активность в работе кластера"},
                    {"number": "2", "text": "Факторы", "sub": [
                        {"number": "2.1", "text": "Поддержка администрации"},
                    ]},
                ],
            }
        ],
    }  # fmt: skip


@pytest.fixture
def package(tmp_path: Path) -> Path:
    folder = tmp_path / "build" / "poll-2026"
    build_poll(parse_poll(_spec()), b"spec", folder)
    return folder


KNOWN = [  # department, rating of 1, rating of 2.1 (the hand computation is below)
    *[("Математика", a, b) for a, b in zip((8, 9, 10, 7, 6), (5, 6, 7, 8, 9), strict=True)],
    *[("Русский язык", a, b) for a, b in zip((10, 10, 9, 9, 8), (6, 6, 6, 6, 7), strict=True)],
    ("Английский язык", 4, 3),
    ("Английский язык", 5, 3),
]


def _google(path: Path, with_emails: bool = True) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        head = ["Отметка времени", *(["Адрес электронной почты"] if with_emails else [])]
        titles = ["Ваша кафедра", "1. Активность в работе кластера", "2.1. Поддержка администрации"]
        out.writerow([*head, *titles, "Комментарий"])
        for k, (department, a, b) in enumerate(KNOWN):
            email = [EMAILS[k % 3]] if with_emails else []
            out.writerow([f"01.12.2026 10:{k:02d}:00", *email, department, a, b, ""])
    return path


def test_table_3_from_known_answers_equals_the_hand_computation(
    store: Store, package: Path, tmp_path: Path
) -> None:
    report = import_files(store, [_google(tmp_path / "g.csv")], package)
    assert [(f.format, f.new, f.problems) for f in report.files] == [("google-forms", 12, [])]
    table = poll_table(store, "poll-2026")
    # mathematics: (8+9+10+7+6)/5 = 8.0 and (5+6+7+8+9)/5 = 7.0; level (8.0+7.0)/2/10 = 75 %
    # russian: 46/5 = 9.2 and 31/5 = 6.2; level 77 %
    # english: 2 respondents, fewer than 5: in the total only
    # total: (40+46+9)/12 = 7.9166.. -> 7.9 and (35+31+6)/12 = 6.0; level 69.583.. -> 69.6 %
    assert table.departments == ["mathematics", "russian"] and table.hidden == ["english"]
    assert table.respondents == {"mathematics": 5, "russian": 5, "total": 12}
    header, rows = table_rows(table, "ru")
    assert header == ["Параметр", "Математика", "Русский язык", "Всего"]
    assert rows[0] == ["Число респондентов", "5", "5", "12"]
    assert rows[1] == ["1. Активность в работе кластера", "8.0", "9.2", "7.9"]
    assert rows[2] == ["2. Факторы", "", "", ""]
    assert rows[3] == ["2.1. Поддержка администрации", "7.0", "6.2", "6.0"]
    assert rows[4] == ["Общий уровень, %", "75.0", "77.0", "69.6"]
    shown = poll_table(store, "poll-2026", show_small=True)
    assert shown.departments == ["mathematics", "russian", "english"]
    assert shown.cells["1"]["english"].mean == 4.5 and shown.level["english"] == 37.5
    again = import_files(store, [_google(tmp_path / "g.csv")], package)
    assert (again.files[0].new, again.files[0].unchanged) == (0, 12)


def test_an_anonymous_poll_keeps_no_id_e_mail_or_name(
    store: Store, package: Path, tmp_path: Path, db: Path
) -> None:
    import_files(store, [_google(tmp_path / "g.csv")], package)
    write_poll_report(store, "poll-2026", tmp_path / "reports")
    assert all(r.teacher_id is None for r in store.poll_responses("poll-2026"))
    dump = "\n".join(store.con.iterdump())
    polls_part = "\n".join(
        line for line in dump.splitlines() if "poll_responses" in line or "polls" in line
    )
    for email in EMAILS:
        assert email not in polls_part
    teachers = list(store.con.execute("SELECT id, name FROM teachers"))
    for path in (tmp_path / "reports").rglob("*"):
        if path.is_file() and path.suffix in (".html", ".csv"):
            text = path.read_text(encoding="utf-8-sig")
            for tid, name in teachers:
                assert tid not in text and name not in text, path
            for email in EMAILS:
                assert email not in text
    assert teachers  # the roster is there, and none of it went into the poll


def test_ms_forms_and_moodle_feedback_exports(store: Store, package: Path, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(
        [
            "ID",
            "Start time",
            "Completion time",
            "Email",
            "Name",
            "Кафедра",
            "1. Активность в работе кластера",
            "2.1. Поддержка администрации",
        ]
    )
    sheet.append([1, "12/1/26 10:00:00", "12/1/26 10:03:00", "anonymous", "", "Экономика", 9, 8])
    sheet.append([2, "12/1/26 10:05:00", "12/1/26 10:09:00", "anonymous", "", "Экономика", 11,
                  7])  # fmt: skip
    book.save(tmp_path / "ms.xlsx")
    moodle = tmp_path / "feedback.csv"
    moodle.write_text(
        "Response number,Course,Date,Кафедра,(1) Активность в работе кластера,"
        "(2.1) Поддержка администрации\n"
        '1,Кластер,"1 December 2026, 10:00 AM",Математика,7,6\n'
        '2,Кластер,"1 December 2026, 10:05 AM",Математика,,\n',
        encoding="utf-8",
    )
    report = import_files(store, [tmp_path / "ms.xlsx", moodle], package)
    ms, fb = report.files
    assert (ms.format, ms.new) == ("ms-forms", 2)
    assert len(ms.problems) == 1 and "'11' is not a rating 1-10" in ms.problems[0]
    assert (fb.format, fb.new) == ("moodle-feedback", 1)
    assert "no rating given" in fb.problems[0]
    responses = store.poll_responses("poll-2026")
    assert [(r.department, r.ratings) for r in responses] == [
        ("economics", [9, 8]), ("economics", [None, 7]), ("mathematics", [7, 6]),
    ]  # fmt: skip


def _sheet(file: str, letters: list[str], department: str, evidence: dict[str, str]) -> str:
    questions = []
    for position, text in enumerate([*letters, department], start=1):
        state = "ambiguous" if text.startswith("?") else "multiple" if len(text) > 1 else (
            "marked" if text else "blank")  # fmt: skip
        questions.append(
            QuestionRead(
                position=position,
                state=state,
                letters=text.strip("?"),
                fills=[0.9 if chr(65 + k) in text else 0.0 for k in range(10)],
                doubtful=text.strip("?") if state == "ambiguous" else "",
            )
        )
    result = SheetResult(
        source=SourceRef(file=file, page=1, sha256=hashlib.sha256(file.encode()).hexdigest()),
        status="flagged" if any(q.state != "marked" for q in questions) else "ok",
        test_id="poll-2026", variant=1, sheet_page=1, layout_hash="x", questions=questions,
        evidence=evidence,
    )  # fmt: skip
    return result.model_dump_json()


def test_paper_rows_in_doubt_wait_in_the_review_and_count_once_settled(
    store: Store, package: Path, tmp_path: Path
) -> None:
    results = tmp_path / "results"
    (results / "crops").mkdir(parents=True)
    (results / "crops" / "a-q1.png").write_bytes(b"png")
    lines = [
        _sheet("a.png", ["AB", "J"], "A", {"q1": "crops/a-q1.png", "comment": "crops/a-c.jpg"}),
        _sheet("b.png", ["C", "?E"], "CD", {}),
        _sheet("c.png", ["J", "J"], "B", {}),
    ]
    (results / "results.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_files(store, [results / "results.jsonl"], package)
    assert report.files[0].new == 3
    manifest = store.poll_manifest("poll-2026")
    items = {i.key.split(":", 1)[1]: i for i in poll_items(store, manifest)}
    assert sorted(items) == ["1:1", "2:2", "2:3"]  # two marks; a doubt; two departments
    assert items["1:1"].reading == "AB" and items["1:1"].labels[0] == "1"
    assert items["1:1"].pictures[0].endswith("crops/a-q1.png")
    queue = build_queue(store, "poll-2026")
    assert len(queue.open) == 3 and all(i.kind == "question" for i in queue.open)
    first = poll_table(store, "poll-2026", show_small=True)
    assert first.open_items == 3 and first.cells["1"]["total"].n == 2  # the doubt is not counted
    exported = tmp_path / "queue.csv"
    write_export(queue, exported)
    rows = list(csv.DictReader(exported.open(encoding="utf-8-sig")))
    decisions = {"poll:1:1": "2", "poll:2:2": "5", "poll:2:3": "D"}
    for row in rows:
        row["decision"] = decisions[row["key"]]
    with exported.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    applied = apply_csv(store, "poll-2026", exported, "tutor")
    assert applied.problems == [] and len(applied.applied) == 3
    assert poll_items(store, manifest) == []
    by_file = {r.source_file: r for r in store.poll_responses("poll-2026")}
    assert by_file["a.png"].ratings == [2, 10] and by_file["a.png"].department == "mathematics"
    assert by_file["b.png"].ratings == [3, 5] and by_file["b.png"].department == "history-social"
    assert by_file["a.png"].evidence["comment"].endswith("crops/a-c.jpg")
    table = poll_table(store, "poll-2026", show_small=True)
    assert table.open_items == 0 and table.cells["1"]["total"].mean == 5.0  # (2+3+10)/3
    assert [d[3] for d in store.poll_decisions("poll-2026")] == ["tutor"] * 3


def test_the_cli_imports_reports_and_compares_with_last_year(
    store: Store, package: Path, tmp_path: Path, db: Path
) -> None:
    last_year = tmp_path / "build" / "poll-2025"
    build_poll(parse_poll(_spec("poll-2025", 2025)), b"spec 2025", last_year)
    older = tmp_path / "older.csv"
    older.write_text("Отметка времени,Кафедра,1. Активность в работе кластера,"
                     "2.1. Поддержка администрации\n"
                     + "".join(f"1.12.2025 10:0{k},Математика,6,6\n" for k in range(5)),
                     encoding="utf-8")  # fmt: skip
    runner = CliRunner()
    base = ["--db", str(db)]
    done = runner.invoke(main, ["import", str(older), "--test", str(last_year), *base])
    assert done.exit_code == 0, done.output
    done = runner.invoke(main, ["import", str(_google(tmp_path / "g.csv")), "--test",
                                str(package), *base])  # fmt: skip
    assert done.exit_code == 0, done.output
    status = runner.invoke(main, ["status", "--test", "poll-2026", *base])
    assert "Poll poll-2026: 12 response(s); 0 without a department" in status.output
    out = tmp_path / "reports"
    made = runner.invoke(main, ["--lang", "ru", "poll-report", "--poll", "poll-2026", "--out",
                                str(out), *base])  # fmt: skip
    assert made.exit_code == 0, made.output
    assert "общий уровень 69.6 %" in made.output
    for name in ("table3.pdf", "table3.html", "table3.csv", "table3.xlsx"):
        assert (out / "poll-2026" / name).stat().st_size > 0
    page = (out / "site" / "polls" / "poll-2026.html").read_text(encoding="utf-8")
    assert "<svg" in page and "2025, всего" in page and "Изменение" in page
    rows = list(csv.reader((out / "poll-2026" / "table3.csv").open(encoding="utf-8-sig")))
    assert rows[0][-2:] == ["2025, всего", "Изменение"]
    assert rows[2][-3:] == ["7.9", "6.0", "1.9"]  # 7.9166 - 6.0
    site = runner.invoke(main, ["site", "--out", str(tmp_path / "site"), "-q", *base])
    assert site.exit_code == 0, site.output
    assert 'href="polls/poll-2026.html"' in (tmp_path / "site" / "index.html").read_text("utf-8")
    assert "Таблица 3" in (tmp_path / "site" / "polls" / "poll-2026.html").read_text("utf-8")
    refused = runner.invoke(main, ["report", "--test", "poll-2026", *base])
    assert refused.exit_code != 0 and "is a poll, not a test" in refused.output
