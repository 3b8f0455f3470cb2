"""Writers of online-test exports as the real systems write them, for the import tests.

Written from the systems' own strings and writers, not from our parser: Moodle's language
packs (``mod/quiz/lang/*/quiz.php``, ``quiz_responses.php``, ``grades.php``; en and ru), its
report tables (``mod/quiz/report/responses``, ``overview``: Response/Question/Right answer
columns per slot, marks rescaled to the quiz's grade, average rows at the foot), its
dataformats (``dataformat/csv``: ``,`` and a UTF-8 BOM; ``dataformat/excel``: xlsx;
``dataformat/ods``; ``dataformat/json``: ``[[{...}]]``), ``html_to_text`` (bold upper-cased,
tags dropped, entities decoded), and the CSV formula guard (a leading ``'`` before ``= + -
@``). Google Forms and Microsoft Forms columns follow their documented downloads.

Every writer takes plain data (one :class:`Attempt` per row) and returns the file's path.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

# -- Moodle ------------------------------------------------------------------------------

# Column titles per Moodle version and language, from the language packs.
MOODLE_HEADERS: dict[str, dict[str, str]] = {
    "en-4.5": {
        "last": "Last name",
        "first": "First name",
        "email": "Email address",
        "idnumber": "ID number",
        "state": "Status",
        "started": "Started",
        "completed": "Completed",
        "duration": "Duration",
        "grade": "Grade/{max}",
        "response": "Response {n}",
        "question": "Question {n}",
        "right": "Right answer {n}",
        "qmark": "Q. {n} /{max}",
        "average": "Overall average",
        "groupaverage": "Group average",
    },
    "en-4.1": {
        "last": "Last name",
        "first": "First name",
        "email": "Email address",
        "idnumber": "ID number",
        "state": "State",
        "started": "Started on",
        "completed": "Completed",
        "duration": "Time taken",
        "grade": "Grade/{max}",
        "response": "Response {n}",
        "question": "Question {n}",
        "right": "Right answer {n}",
        "qmark": "Q. {n} /{max}",
        "average": "Overall average",
        "groupaverage": "Group average",
    },
    "ru-4.5": {
        "last": "Фамилия",
        "first": "Имя",
        "email": "Адрес электронной почты",
        "idnumber": "Индивидуальный номер",
        "state": "Состояние",
        "started": "Тест начат",
        "completed": "Завершено",
        "duration": "Затраченное время",
        "grade": "Оценка/{max}",
        "response": "Ответ {n}",
        "question": "Вопрос {n}",
        "right": "Правильный ответ: {n}",
        "qmark": "В. {n} /{max}",
        "average": "Общее среднее",
        "groupaverage": "Среднее по группе",
    },
}
MOODLE_STATES = {
    "en": {
        "finished": "Finished",
        "inprogress": "In progress",
        "abandoned": "Never submitted",
        "overdue": "Overdue",
    },
    "ru": {
        "finished": "Завершены",
        "inprogress": "В процессе",
        "abandoned": "Не отправленные",
        "overdue": "Просроченные",
    },
}
_MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "ru": [
        "января",
        "февраля",
        "марта",
        "апреля",
        "мая",
        "июня",
        "июля",
        "августа",
        "сентября",
        "октября",
        "ноября",
        "декабря",
    ],
}


def moodle_date(lang: str, day: int, hour: int, minute: int, month: int = 11) -> str:
    """Moodle's ``strftimedatetime`` for November 2026: ``24 November 2026  10:48 AM`` (en),
    ``24 ноября 2026  10:48`` (ru)."""
    name = _MONTHS[lang][month - 1]
    if lang == "en":
        h12 = hour % 12 or 12
        return f"{day} {name} 2026  {h12}:{minute:02d} {'AM' if hour < 12 else 'PM'}"
    return f"{day} {name} 2026  {hour:02d}:{minute:02d}"


def html_to_text(html: str) -> str:
    """Moodle's ``html_to_text`` as the responses report applies it to an option's HTML:
    bold upper-cased, other tags dropped, entities decoded."""
    text = re.sub(r"<(b|strong)>(.*?)</\1>", lambda m: m.group(2).upper(), html)
    text = re.sub(r"<[^>]+>", "", text)
    return (
        text.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u00a0")
    )


def number(value: float, lang: str, decimals: int = 2) -> str:
    text = f"{value:.{decimals}f}"
    return text.replace(".", ",") if lang == "ru" else text


@dataclass
class Attempt:
    """One row of a Moodle report. ``responses`` are option HTML texts per slot (a list for
    several choices, in the attempt's shuffled order; ``None`` for no answer); ``marks`` the
    raw marks per slot (grades report)."""

    last: str
    first: str
    email: str = ""
    idnumber: str = ""
    state: str = "finished"
    started: tuple[int, int, int] = (24, 10, 0)  # day, hour, minute
    completed: tuple[int, int, int] | None = (24, 10, 40)
    responses: list[str | list[str] | None] = field(default_factory=list)
    marks: list[float | None] = field(default_factory=list)


def _guard(cell: str) -> str:
    """Moodle's CSV writer guards a text starting like a formula with a leading ``'``."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@") else cell


def _response_cell(response: str | list[str] | None) -> str:
    if response is None:
        return "-"
    if isinstance(response, list):
        return "; ".join(html_to_text(r) for r in response)
    return html_to_text(response)


def _identity(h: dict[str, str], identity: tuple[str, ...]) -> list[str]:
    return [h["last"], h["first"], *(h[k] for k in identity)]


def _row_start(a: Attempt, lang: str, identity: tuple[str, ...]) -> list[str]:
    states = MOODLE_STATES[lang]
    finished = a.completed is not None and a.state == "finished"
    return [
        a.last,
        a.first,
        *(getattr(a, k) for k in identity),
        states[a.state],
        moodle_date(lang, *a.started),
        moodle_date(lang, *a.completed) if finished and a.completed else "-",
        ("40 mins" if lang == "en" else "40 мин.") if finished else "-",
    ]


def moodle_responses(
    attempts: list[Attempt],
    *,
    version: str = "en-4.5",
    identity: tuple[str, ...] = ("email",),
    quiz_grade: float = 10.0,
    grades: list[float | None] | None = None,
    questions: list[str] | None = None,
    right_answers: list[str] | None = None,
) -> list[list[str]]:
    """Rows (header first) of the responses report."""
    h = MOODLE_HEADERS[version]
    lang = version[:2]
    n = max(len(a.responses) for a in attempts)
    header = [
        *_identity(h, identity),
        h["state"],
        h["started"],
        h["completed"],
        h["duration"],
        h["grade"].format(max=number(quiz_grade, lang)),
    ]
    for k in range(1, n + 1):
        if questions is not None:
            header.append(h["question"].format(n=k))
        header.append(h["response"].format(n=k))
        if right_answers is not None:
            header.append(h["right"].format(n=k))
    rows = [header]
    for i, a in enumerate(attempts):
        grade = grades[i] if grades is not None else None
        finished = a.state == "finished" and a.completed is not None
        row = [
            *_row_start(a, lang, identity),
            number(grade, lang) if grade is not None and finished else "-",
        ]
        for k, response in enumerate(a.responses):
            if questions is not None:
                row.append(questions[k])
            row.append(_response_cell(response))
            if right_answers is not None:
                row.append(right_answers[k])
        rows.append(row)
    return rows


def moodle_grades(
    attempts: list[Attempt],
    max_marks: list[float],
    *,
    version: str = "en-4.5",
    identity: tuple[str, ...] = ("email",),
    quiz_grade: float = 10.0,
    average_rows: bool = True,
) -> list[list[str]]:
    """Rows of the grades (overview) report: each mark rescaled ``raw × grade / sumgrades``
    and shown with two decimals, the maximum in each header likewise."""
    h = MOODLE_HEADERS[version]
    lang = version[:2]
    scale = quiz_grade / sum(max_marks)
    header = [
        *_identity(h, identity),
        h["state"],
        h["started"],
        h["completed"],
        h["duration"],
        h["grade"].format(max=number(quiz_grade, lang)),
        *(h["qmark"].format(n=k + 1, max=number(m * scale, lang)) for k, m in enumerate(max_marks)),
    ]
    rows = [header]
    totals = [0.0] * len(max_marks)
    for a in attempts:
        finished = a.state == "finished" and a.completed is not None
        total = sum(m or 0.0 for m in a.marks) * scale
        row = [*_row_start(a, lang, identity), number(total, lang) if finished else "-"]
        for k, mark in enumerate(a.marks):
            row.append("-" if mark is None or not finished else number(mark * scale, lang))
            totals[k] += (mark or 0.0) * scale
        rows.append(row)
    if average_rows:
        width = len(_identity(h, identity)) + 4
        for label in (h["groupaverage"], h["average"]):
            mean = [t / max(len(attempts), 1) for t in totals]
            rows.append(
                [label, *[""] * (width - 1), number(sum(mean), lang)]
                + [number(m, lang) for m in mean]
            )
    return rows


# -- file writers ---------------------------------------------------------------------------


def write_moodle_csv(rows: list[list[str]], path: Path) -> Path:
    """dataformat_csv: comma, UTF-8 with BOM, every text cell formula-guarded."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for i, row in enumerate(rows):
        writer.writerow(row if i == 0 else [_guard(c) for c in row])
    path.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))
    return path


def _column_name(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        name = chr(65 + rem) + name
    return name


_NUMERIC = re.compile(r"^-?\d+(\.\d+)?$")


def write_xlsx_inline(rows: list[list[str]], path: Path) -> Path:
    """A minimal Office Open XML workbook with inline strings (as Moodle's Excel download
    writes them) and numbers as numbers."""
    cells = []
    for r, row in enumerate(rows, start=1):
        xml_cells = []
        for c, value in enumerate(row):
            ref = f"{_column_name(c)}{r}"
            if r > 1 and _NUMERIC.match(value):
                xml_cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            elif value:
                xml_cells.append(
                    f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(value)}'
                    "</t></is></c>"
                )
        cells.append(f'<row r="{r}">{"".join(xml_cells)}</row>')
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{''.join(cells)}</sheetData></worksheet>"
    )
    files = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="Responses" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": sheet,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


def write_ods(rows: list[list[str]], path: Path) -> Path:
    """An OpenDocument spreadsheet as Moodle's ODS writer makes one: strings as ``text:p``,
    numbers with ``office:value``, runs of spaces as ``text:s``, empty cells repeated."""

    def paragraph(text: str) -> str:
        return re.sub(
            r" {2,}",
            lambda m: f' <text:s text:c="{len(m.group(0)) - 1}"/>',
            escape(text),
        )

    body = []
    for r, row in enumerate(rows):
        cells = []
        empties = 0
        for value in row:
            if not value:
                empties += 1
                continue
            if empties:
                cells.append(f'<table:table-cell table:number-columns-repeated="{empties}"/>')
                empties = 0
            if r > 0 and _NUMERIC.match(value):
                cells.append(
                    f'<table:table-cell office:value-type="float" office:value="{value}">'
                    f"<text:p>{value}</text:p></table:table-cell>"
                )
            else:
                cells.append(
                    '<table:table-cell office:value-type="string">'
                    f"<text:p>{paragraph(value)}</text:p></table:table-cell>"
                )
        cells.append('<table:table-cell table:number-columns-repeated="1012"/>')
        body.append(f"<table:table-row>{''.join(cells)}</table:table-row>")
    # spreadsheet programs pad the sheet with a huge run of empty rows
    body.append(
        '<table:table-row table:number-rows-repeated="1048000">'
        "<table:table-cell/></table:table-row>"
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        "<office:document-content "
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Responses">'
        f"{''.join(body)}</table:table>"
        '<table:table table:name="Other"><table:table-row><table:table-cell '
        'office:value-type="string"><text:p>not this</text:p></table:table-cell>'
        "</table:table-row></table:table>"
        "</office:spreadsheet></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
    return path


def json_key(header: str) -> str:
    """Moodle's JSON download keys: the header lower-cased, non-ASCII characters removed."""
    return "".join(c for c in header.lower() if c.isascii())


def write_moodle_json(rows: list[list[str]], path: Path) -> Path:
    keys = [json_key(h) for h in rows[0]]
    records = [dict(zip(keys, row, strict=True)) for row in rows[1:]]
    path.write_text(json.dumps([records], ensure_ascii=False, indent=4), encoding="utf-8")
    return path


# -- Google Forms and Microsoft Forms ------------------------------------------------------


def _choices(response: str | list[str] | None, separator: str, *, trailing: bool = False) -> str:
    """A forms cell: no answer empty, several choices joined by ``separator`` (Microsoft Forms
    also ends the list with it)."""
    if response is None:
        return ""
    if isinstance(response, str):
        return response
    return separator.join(response) + (separator if trailing else "")


def google_forms(
    questions: list[str],
    answers: list[dict[str, str]],
    responses: list[list[str | list[str] | None]],
    *,
    extra: list[str] = (),  # type: ignore[assignment]
    lang: str = "en",
) -> list[list[str]]:
    """Rows of a Google Forms quiz download: Timestamp, Email Address, Score, then the
    ``extra`` identity questions and the question titles; several choices joined by ", "."""
    meta = (
        ["Timestamp", "Email Address", "Score"]
        if lang == "en"
        else ["Отметка времени", "Адрес электронной почты", "Баллы"]
    )
    rows = [[*meta, *extra, *questions]]
    for k, (who, response) in enumerate(zip(answers, responses, strict=True)):
        cells = [_choices(r, ", ") for r in response]
        stamp = f"2026/11/24 10:{10 + k:02d}:00 AM GMT+3"
        rows.append(
            [stamp, who.get("email", ""), f"{who.get('score', '0')} / {len(questions)}"]
            + [who.get(e, "") for e in extra]
            + cells
        )
    return rows


def ms_forms(
    questions: list[str],
    answers: list[dict[str, str]],
    responses: list[list[str | list[str] | None]],
    *,
    extra: list[str] = (),  # type: ignore[assignment]
) -> list[list[str]]:
    """Rows of a Microsoft Forms quiz download: ID (the response number), Start time,
    Completion time, Email, Name, Total points, Quiz feedback, then per question its answer,
    ``Points - <title>`` and ``Feedback - <title>``; several choices as ``"A;B;"``."""
    header = [
        "ID",
        "Start time",
        "Completion time",
        "Email",
        "Name",
        "Total points",
        "Quiz feedback",
        *extra,
    ]
    for q in questions:
        header += [q, f"Points - {q}", f"Feedback - {q}"]
    rows = [header]
    for k, (who, response) in enumerate(zip(answers, responses, strict=True)):
        row = [
            str(k + 1),
            f"11/24/26 10:{k:02d}:05",
            f"11/24/26 10:{30 + k:02d}:44",
            who.get("email", "anonymous"),
            who.get("name", ""),
            who.get("score", "0"),
            "",
            *(who.get(e, "") for e in extra),
        ]
        for r in response:
            row += [_choices(r, ";", trailing=True), "0", ""]
        rows.append(row)
    return rows


def write_plain_csv(rows: list[list[str]], path: Path) -> Path:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path
