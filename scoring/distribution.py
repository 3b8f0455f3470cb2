"""Who gets which report: every teacher their own PDF, every school's administrators their
school's extract; written as a list (CSV), as one RFC 5322 message per recipient with the
file attached (``--mail-dir``), or sent through an SMTP server (``scoring send``).

Nothing is sent without being asked: :func:`send_all` is called by ``scoring send --smtp``
only with ``--send``; without it the command says what it would send. A teacher without an
e-mail, a school without an administrator and a report file that is missing are listed as
problems, never silently skipped.
"""

from __future__ import annotations

import csv
import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path
from typing import Final

from common.errors import InputNotFound, OutputError, ToolError, ValidationFailed
from common.i18n import tr
from common.spreadsheet import neutralise
from scoring.imports._table import norm_header, read_table
from scoring.report.data import ReportData
from scoring.report.packs import PACK_INDEX
from scoring.report.render import school_file_stem, school_file_stems

DISTRIBUTION_SCHEMA_VERSION: Final = 1
DISTRIBUTION_FILE = "distribution.csv"
_SCHOOL_HEADERS = ("school", "школа", "оо", "образовательная организация")
_EMAIL_HEADERS = ("email", "e-mail", "адрес электронной почты", "электронная почта", "почта")
_NAME_HEADERS = ("name", "administrator", "администратор", "фио", "имя")

SUBJECTS = {
    "ru": {
        "teacher": "{title}: ваш результат",
        "school": "{title}: результаты педагогов школы",
        "teacher_body": "Здравствуйте, {name}!\n\nВо вложении — ваш персональный отчёт по "
        "тесту «{title}».\n\nКоманда мониторинга кластера",
        "school_body": "Здравствуйте!\n\nВо вложении — результаты педагогов школы «{school}» "
        "по тесту «{title}».\n\nКоманда мониторинга кластера",
    },
    "en": {
        "teacher": "{title}: your result",
        "school": "{title}: your school's teachers' results",
        "teacher_body": "Dear {name},\n\nattached is your personal report of the test "
        "\u201c{title}\u201d.\n\nThe cluster's monitoring team",
        "school_body": "Hello,\n\nattached are the results of the teachers of {school} in the "
        "test \u201c{title}\u201d.\n\nThe cluster's monitoring team",
    },
}


@dataclass(frozen=True)
class Delivery:
    """One message to one recipient."""

    kind: str  # "teacher" or "school"
    recipient: str  # the teacher's name, or the school
    email: str
    files: tuple[Path, ...]
    subject: str
    body: str


@dataclass
class Distribution:
    test_id: str
    deliveries: list[Delivery] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def load_school_contacts(path: Path) -> dict[str, list[tuple[str, str]]]:
    """School -> [(administrator's name, e-mail)] from a CSV/XLSX with ``school`` and
    ``email`` columns (Russian headers too; several e-mails in one cell split on ``;`` or
    ``,``). Every bad row is reported at once."""
    if not path.is_file():
        raise InputNotFound(tr("schools file not found"), where=str(path))
    rows = read_table(path)
    header = [norm_header(h) for h in rows[0]]

    def column(names: tuple[str, ...]) -> int | None:
        return next((k for k, h in enumerate(header) if h in names), None)

    school_col, email_col, name_col = (
        column(_SCHOOL_HEADERS), column(_EMAIL_HEADERS), column(_NAME_HEADERS))  # fmt: skip
    if school_col is None or email_col is None:
        raise ValidationFailed(
            [tr("the schools file needs the columns school and email")],
            where=str(path),
            hint=tr("columns school,email[,name] (or школа, e-mail, администратор)"),
        )
    contacts: dict[str, list[tuple[str, str]]] = {}
    problems = []
    for number, cells in enumerate(rows[1:], start=2):
        school = cells[school_col].strip()
        emails = [e.strip() for e in cells[email_col].replace(";", ",").split(",") if e.strip()]
        if not school and not emails:
            continue
        bad = [e for e in emails if "@" not in e or " " in e]
        if not school or not emails or bad:
            problems.append(
                tr(
                    "row {row}: needs a school and e-mail addresses (got {school!r}, {emails!r})",
                    row=number,
                    school=school,
                    emails=cells[email_col],
                )
            )
            continue
        name = cells[name_col].strip() if name_col is not None else ""
        contacts.setdefault(school, []).extend((name, e) for e in emails)
    if problems:
        raise ValidationFailed(problems, where=str(path))
    return contacts


def plan_distribution(
    data: ReportData,
    reports: Path,
    contacts: dict[str, list[tuple[str, str]]] | None,
    packs: Path | None = None,
) -> Distribution:
    """Every message of a test's reports in ``reports`` (``reports/<test id>/``): each
    teacher's PDF to the teacher's roster e-mail, each school's extract (PDF and CSV) to its
    administrators, or its pack across departments from ``packs`` (``scoring packs``).
    ``contacts`` ``None``: no school messages."""
    words = SUBJECTS.get(data.test.language, SUBJECTS["ru"])
    title = data.test.title
    folder = reports / data.test.id
    out = Distribution(data.test.id)
    for teacher in data.teachers:
        pdf = folder / "teachers" / f"{teacher.id}.pdf"
        if not pdf.is_file():
            out.problems.append(
                tr(
                    "{pdf}: the report of teacher {teacher} is missing (run `scoring report`)",
                    pdf=pdf,
                    teacher=teacher.id,
                )
            )
            continue
        if not teacher.email:
            out.problems.append(
                tr(
                    "teacher {teacher} {name}: no e-mail in the roster; hand the PDF over",
                    teacher=teacher.id,
                    name=teacher.name,
                )
            )
            continue
        out.deliveries.append(
            Delivery(
                "teacher",
                teacher.name,
                teacher.email,
                (pdf,),
                words["teacher"].format(title=title),
                words["teacher_body"].format(name=teacher.name, title=title),
            )
        )
    if contacts is None:
        return out
    if packs is not None:  # every school of the roster has a pack, listed in its index
        stems = read_pack_index(packs)
        schools = sorted(stems)
    else:
        schools = data.schools()
        stems = school_file_stems(schools)
    known = {school_file_stem(s): s for s in contacts}
    where = packs if packs is not None else folder / "schools"
    for school in schools:
        files = tuple(
            p
            for p in (where / f"{stems[school]}.pdf", where / f"{stems[school]}.csv")
            if p.is_file()
        )
        people = contacts.get(school) or contacts.get(known.get(school_file_stem(school), ""))
        if not files:
            out.problems.append(
                tr("school {school}: its extract is missing (run `scoring report`)", school=school)
            )
            continue
        if not people:
            out.problems.append(
                tr("school {school}: no administrator's e-mail in the schools file", school=school)
            )
            continue
        for name, email in people:
            out.deliveries.append(
                Delivery(
                    "school",
                    name or school,
                    email,
                    files,
                    words["school"].format(title=title),
                    words["school_body"].format(school=school, title=title),
                )
            )
    return out


def read_pack_index(packs: Path) -> dict[str, str]:
    """School -> file stem of the packs ``scoring packs`` wrote (its ``index.csv``)."""
    path = packs / PACK_INDEX
    if not path.is_file():
        raise InputNotFound(
            tr("no school packs here"), where=str(packs), hint=tr("run `scoring packs` first")
        )
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {row["school"]: row["file"] for row in csv.DictReader(handle)}


def write_list(distribution: Distribution, path: Path) -> None:
    """The list as CSV (UTF-8 with BOM): kind, recipient, email, files, subject."""
    try:
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["kind", "recipient", "email", "files", "subject"])
            for d in distribution.deliveries:
                writer.writerow(
                    [
                        neutralise(v)
                        for v in (
                            d.kind,
                            d.recipient,
                            d.email,
                            " ".join(str(f) for f in d.files),
                            d.subject,
                        )
                    ]
                )
    except OSError as error:
        raise OutputError(
            tr("cannot write: {strerror}", strerror=error.strerror), where=str(path)
        ) from None


def message(delivery: Delivery, sender: str) -> EmailMessage:
    """One RFC 5322 message with the delivery's files attached."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = formataddr((delivery.recipient, delivery.email))
    msg["Subject"] = delivery.subject
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].strip(">") or None)
    msg.set_content(delivery.body)
    for path in delivery.files:
        kind = ("application", "pdf") if path.suffix == ".pdf" else ("text", "csv")
        data = path.read_bytes()
        if kind[0] == "text":
            msg.add_attachment(data.decode("utf-8-sig"), subtype="csv", filename=path.name)
        else:
            msg.add_attachment(data, maintype=kind[0], subtype=kind[1], filename=path.name)
    return msg


def write_mail_dir(distribution: Distribution, folder: Path, sender: str) -> list[Path]:
    """One ``.eml`` file per message, numbered in the list's order."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for k, delivery in enumerate(distribution.deliveries, start=1):
        path = folder / f"{k:04d}-{delivery.kind}-{delivery.email.split('@')[0]}.eml"
        path.write_bytes(message(delivery, sender).as_bytes())
        written.append(path)
    return written


@dataclass
class Sent:
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def parse_server(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":") if ":" in text else (text, "", "25")
    try:
        return host or text, int(port)
    except ValueError:
        raise ToolError(tr("{text!r} is not HOST[:PORT]", text=text)) from None


def send_all(
    distribution: Distribution,
    server: str,
    sender: str,
    *,
    starttls: bool = False,
    user: str | None = None,
    password: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Sent:
    """Send every message through ``server`` (HOST[:PORT]); a refused recipient is listed
    and the others are still sent."""
    host, port = parse_server(server)
    result = Sent()
    try:
        with smtplib.SMTP(host, port, timeout=30) as smtp:
            if starttls:
                smtp.starttls()
            if user:
                smtp.login(user, password or "")
            for k, delivery in enumerate(distribution.deliveries, start=1):
                try:
                    smtp.send_message(message(delivery, sender))
                    result.sent.append(delivery.email)
                except smtplib.SMTPException as error:
                    result.failed.append(
                        tr("{email}: not sent ({error})", email=delivery.email, error=error)
                    )
                if progress is not None:
                    progress(k, len(distribution.deliveries))
    except (OSError, smtplib.SMTPException) as error:
        raise ToolError(
            tr("cannot reach the mail server {server} ({error})", server=server, error=error),
            hint=tr("check --smtp; nothing was sent after this point"),
        ) from None
    return result
