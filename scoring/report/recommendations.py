"""The tutors' recommendations to teachers, shown in each teacher's report: a CSV/XLSX with a
``text`` column and, per row, either a teacher ID (that teacher's own recommendation) or a
topic (for every teacher whose result in that topic needs attention)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from common.errors import InputNotFound, ValidationFailed
from common.i18n import tr
from common.text import printable
from scoring.imports._table import norm_header, read_table
from scoring.report.data import TopicScore

_ID = ("teacher_id", "teacher id", "id", "номер участника", "идентификатор", "табельный номер")
_TOPIC = ("topic", "тема")
_TEXT = ("text", "recommendation", "рекомендация", "рекомендации", "текст")


class Recommendations(BaseModel):
    model_config = ConfigDict(frozen=True)

    schema_version: int = 1
    source: str
    by_teacher: dict[str, list[str]]
    by_topic: dict[str, list[str]]
    rows: dict[str, int]  # "teacher:<id>" / "topic:<name>" -> the first row naming it

    def for_teacher(self, teacher_id: str, topics: Iterable[TopicScore]) -> str:
        """The teacher's own texts, then those of every topic that needs their attention."""
        texts = list(self.by_teacher.get(teacher_id, []))
        for topic in topics:
            if topic.troublesome:
                texts += self.by_topic.get(topic.topic.casefold(), [])
        return "\n".join(dict.fromkeys(texts))

    def check(self, teachers: set[str], topics: set[str]) -> None:
        """Every teacher ID in the roster of the test's department, every topic in the test."""
        problems = [
            tr(
                "row {row}: teacher {teacher} is not a teacher of this test",
                row=row,
                teacher=key.split(":", 1)[1],
            )
            for key, row in self.rows.items()
            if key.startswith("teacher:") and key.split(":", 1)[1] not in teachers
        ]
        known = {t.casefold() for t in topics}
        problems += [
            tr("row {row}: the test has no topic {topic!r}", row=row, topic=key.split(":", 1)[1])
            for key, row in self.rows.items()
            if key.startswith("topic:") and key.split(":", 1)[1] not in known
        ]
        if problems:
            raise ValidationFailed(
                problems,
                where=self.source,
                hint=tr("topics as in the test spec: {names}", names=", ".join(sorted(topics))),
            )


def load_recommendations(path: Path) -> Recommendations:
    """Read and check a recommendations file; every bad row is listed at once."""
    if not path.is_file():
        raise InputNotFound(tr("recommendations file not found"), where=str(path))
    rows = read_table(path)
    header = [norm_header(h) for h in rows[0]]

    def column(names: tuple[str, ...]) -> int | None:
        return next((k for k, h in enumerate(header) if h in names), None)

    id_col, topic_col, text_col = column(_ID), column(_TOPIC), column(_TEXT)
    if text_col is None or (id_col is None and topic_col is None):
        raise ValidationFailed(
            [tr("the file needs a text column and a teacher_id or topic column")],
            where=str(path),
            hint=tr("columns teacher_id,topic,text (or номер участника, тема, рекомендация)"),
        )
    by_teacher: dict[str, list[str]] = {}
    by_topic: dict[str, list[str]] = {}
    seen: dict[str, int] = {}
    problems = []
    for number, cells in enumerate(rows[1:], start=2):
        teacher = cells[id_col].strip() if id_col is not None else ""
        topic = " ".join(cells[topic_col].split()) if topic_col is not None else ""
        text = printable(cells[text_col]).strip()
        if not (teacher or topic or text):
            continue
        if not text:
            problems.append(tr("row {row}: the text is empty", row=number))
        elif bool(teacher) == bool(topic):
            problems.append(tr("row {row}: give a teacher ID or a topic, not both or neither",
                               row=number))  # fmt: skip
        elif teacher:
            by_teacher.setdefault(teacher, []).append(text)
            seen.setdefault(f"teacher:{teacher}", number)
        else:
            by_topic.setdefault(topic.casefold(), []).append(text)
            seen.setdefault(f"topic:{topic.casefold()}", number)
    if problems:
        raise ValidationFailed(problems, where=str(path))
    return Recommendations(source=str(path), by_teacher=by_teacher, by_topic=by_topic, rows=seen)
