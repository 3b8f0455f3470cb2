"""Who gets which file: the list, RFC 5322 messages with the PDF attached, and sending them
through a real SMTP server (aiosmtpd, started here on a free local port)."""

from __future__ import annotations

import csv
import email
import socket
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from scoring.cli import main
from scoring.report.collect import collect
from scoring.report.render import render_reports, school_file_stems
from testkit.reports import fill_store

TEST_ID = "math-2026-final"


@pytest.fixture(scope="module")
def reported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("dist")
    store = folder / "monitoring.db"
    fill_store(store, teachers={"mathematics": 12}, tasks=8, stages=5, seed=7)
    data = collect(store, TEST_ID)
    render_reports(data, folder / "reports" / TEST_ID, workers=1)
    return store, folder / "reports"


def _schools(path: Path, store: Path, skip: int = 0) -> Path:
    schools = collect(store, TEST_ID).schools()
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["Школа", "E-mail", "Администратор"])
        for k, school in enumerate(schools[skip:]):
            out.writerow([school, f"head{k}@school.ru; deputy{k}@school.ru", f"Директор {k}"])
    return path


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server():  # type: ignore[no-untyped-def]
    inbox = _Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"127.0.0.1:{port}", inbox
    finally:
        controller.stop()


def test_the_list_and_the_messages(reported: tuple[Path, Path], tmp_path: Path) -> None:
    store, reports = reported
    data = collect(store, TEST_ID)
    schools = _schools(tmp_path / "schools.csv", store, skip=1)  # the first school has no contact
    result = CliRunner().invoke(main, [
        "distribute", "--test", TEST_ID, "--db", str(store), "--reports", str(reports),
        "--schools", str(schools), "--mail-dir", str(tmp_path / "mail"),
        "--from", "monitoring@cluster.ru",
    ])  # fmt: skip
    without_email = [t for t in data.teachers if not t.email]
    assert result.exit_code == 11, result.output  # done with problems: a school has no contact
    first_school = data.schools()[0]
    assert f"school {first_school}: no administrator's e-mail" in result.output
    rows = list(csv.DictReader((reports / TEST_ID / "distribution.csv").open(encoding="utf-8-sig")))
    teachers = [r for r in rows if r["kind"] == "teacher"]
    assert len(teachers) == len(data.teachers) - len(without_email)
    stems = school_file_stems(data.schools())
    for row in teachers:
        teacher = next(t for t in data.teachers if t.email == row["email"])
        assert row["files"].endswith(f"teachers/{teacher.id}.pdf")  # only their own file
    for row in (r for r in rows if r["kind"] == "school"):
        assert stems[first_school] not in row["files"]
    messages = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(messages) == len(rows)
    parsed = email.message_from_bytes(messages[0].read_bytes(), policy=policy.default)
    assert parsed["From"] == "monitoring@cluster.ru" and "ваш результат" in parsed["Subject"]
    (attachment,) = list(parsed.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content().startswith(b"%PDF")


def test_send_is_a_dry_run_unless_asked(
    reported: tuple[Path, Path],
    tmp_path: Path,
    smtp_server,  # type: ignore[no-untyped-def]
) -> None:
    store, reports = reported
    server, inbox = smtp_server
    schools = _schools(tmp_path / "schools.csv", store)
    base = ["send", "--test", TEST_ID, "--db", str(store), "--reports", str(reports),
            "--schools", str(schools), "--smtp", server]  # fmt: skip
    dry = CliRunner().invoke(main, base)
    assert dry.exit_code == 0, dry.output
    assert "Dry run: nothing was sent" in dry.output and inbox.messages == []
    sent = CliRunner().invoke(main, [*base, "--send", "--from", "monitoring@cluster.ru"])
    data = collect(store, TEST_ID)
    expected = sum(1 for t in data.teachers if t.email) + 2 * len(data.schools())
    assert sent.exit_code == 11, sent.output  # teachers without an e-mail are listed
    assert len(inbox.messages) == expected
    received = {tuple(to): email.message_from_bytes(body, policy=policy.default)
                for _, to, body in inbox.messages}  # fmt: skip
    teacher = next(t for t in data.teachers if t.email)
    mine = received[(teacher.email,)]
    (pdf,) = [a for a in mine.iter_attachments() if a.get_filename() == f"{teacher.id}.pdf"]
    assert pdf.get_content() == (reports / TEST_ID / "teachers" / f"{teacher.id}.pdf").read_bytes()
    for other in data.teachers:  # a teacher's message carries no one else's report
        if other.id != teacher.id:
            assert all(a.get_filename() != f"{other.id}.pdf" for a in mine.iter_attachments())
    refused = CliRunner().invoke(main, [*base[:-1], "127.0.0.1:1", "--send"])
    assert refused.exit_code != 0 and "cannot reach the mail server" in refused.output


def test_schools_can_be_sent_their_packs(reported: tuple[Path, Path], tmp_path: Path) -> None:
    store, reports = reported
    packs = tmp_path / "packs"
    assert CliRunner().invoke(main, ["packs", "--db", str(store), "--out", str(packs), "-q"]
                              ).exit_code == 0  # fmt: skip
    schools = _schools(tmp_path / "schools.csv", store)
    done = CliRunner().invoke(main, [
        "distribute", "--test", TEST_ID, "--db", str(store), "--reports", str(reports),
        "--schools", str(schools), "--packs", str(packs),
    ])  # fmt: skip
    rows = list(csv.DictReader((reports / TEST_ID / "distribution.csv").open(encoding="utf-8-sig")))
    for row in (r for r in rows if r["kind"] == "school"):
        assert all(str(packs) in f for f in row["files"].split()), row
    assert sum(r["kind"] == "school" for r in rows) == 2 * len(collect(store, TEST_ID).schools())
    assert done.exit_code == 11, done.output  # teachers without an e-mail are listed
