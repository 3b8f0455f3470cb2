"""The report input model: everything the reports of one test need, collected once.

``collect.collect`` fills a :class:`ReportData` from the store; the renderers (charts, PDF,
HTML, exports) read only this model, so they can be built and tested without a store, and the
data crosses to worker processes as one picklable object.

Percentages are 0..100; ``None`` means "not taken" (a teacher absent from a stage, a department
with no final test yet), never zero.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from common.i18n import tr

REPORT_SCHEMA_VERSION: Final = 1

Channel = Literal["live", "remote"]
Standing = Literal["leader", "middle", "lagging"]

# The five stages in order (values of common.vocabulary.Stage) and how the reports print them.
STAGES: tuple[str, ...] = (
    "acceptance",
    "intermediate-1",
    "intermediate-2",
    "intermediate-3",
    "final",
)
# Leaders are the top quarter of the department's ranking, laggers the bottom quarter.
STANDING_SHARE = 0.25


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TestMeta(_Model):
    """The test being reported on."""

    id: str
    title: str
    department: str
    department_title: str  # as printed: "Математика"
    year: int
    stage: str  # common.vocabulary.Stage value
    stage_title: str  # as printed: "Входной тест"
    language: Literal["ru", "en"] = "ru"
    task_count: int
    max_score: float
    variants: int


class StageMeta(_Model):
    """One of the five stages of the department's year; ``test_id`` is None until it is held."""

    stage: str
    title: str  # short, for chart axes: "Входной", "Промеж. 1", ...
    test_id: str | None = None
    department_mean: float | None = None  # mean percent correct of the department
    n: int = 0  # teachers with a result


class TaskRow(_Model):
    """One task as the teacher saw it (printed position order)."""

    position: int  # printed position, 1-based
    source_position: int
    version: Literal["A", "B"]
    task_id: str
    topic: str
    stem: str = ""
    answer: str  # printed letters chosen; "" blank, "?" unreadable
    correct: str  # printed letters of the key
    answer_text: str = ""  # the option texts of the letters chosen ("; " between several)
    correct_text: str = ""  # the option texts of the key
    is_correct: bool
    points: float
    max_points: float
    flagged: bool = False  # the reader was in doubt (multiple, ambiguous)
    overridden: bool = False  # a person set the answer (audited in the store)
    explanation: str = ""  # the tutor's comment, shown for every mistake


class HistoryPoint(_Model):
    stage: str
    percent: float | None = None  # this teacher; None when not taken
    department_mean: float | None = None


class TopicScore(_Model):
    topic: str
    score: float
    max_score: float
    percent: float
    department_percent: float | None = None  # department mean on this topic

    @property
    def troublesome(self) -> bool:
        """Below 50 %, or 15 points or more below the department: worth a teacher's attention."""
        if self.percent < 50.0:
            return True
        return self.department_percent is not None and self.percent <= self.department_percent - 15


class TeacherReport(_Model):
    """One teacher's result of this test and the year so far."""

    id: str
    name: str
    school: str
    department: str
    email: str = ""
    variant: int | None = None  # printed variant; None for an online test built from A or B
    form: str = ""  # "V3", or "A"/"B" for an online test built straight from a source version
    channel: Channel
    score: float
    max_score: float
    percent: float
    rank: int  # 1 = best in the department (ties share the lower rank number)
    rank_of: int  # teachers ranked in the department
    standing: Standing = "middle"
    flags: int = 0
    overrides: int = 0
    taken_at: str = ""  # when the attempt was made, as the source says ("" not known)
    code: str = ""  # the teacher's code on the pseudonymised website (scoring site)
    sheet_image: str = ""  # the paper sheet as read (annotated page, or the scan itself)
    recommendation: str = ""  # the tutor's recommendation (scoring report --recommendations)
    tasks: list[TaskRow]
    history: list[HistoryPoint]  # one per stage, in stage order
    topics: list[TopicScore]

    @property
    def mistakes(self) -> list[TaskRow]:
        return [t for t in self.tasks if not t.is_correct]

    def growth(self) -> tuple[str, float] | None:
        """(the year's first stage the teacher took, points of percent gained since then up
        to this test), or None when there is nothing to compare."""
        taken = [h for h in self.history if h.percent is not None]
        if len(taken) < 2:
            return None
        first, last = taken[0], taken[-1]
        assert first.percent is not None and last.percent is not None
        return first.stage, round(last.percent - first.percent, 1)


class HistogramBin(_Model):
    lower: float
    upper: float
    count: int


class TopicMean(_Model):
    topic: str
    tasks: int
    percent: float  # department mean percent correct on the topic


class ItemRow(_Model):
    """Item analysis of one source task, across variants."""

    source_position: int
    label: str = ""  # source version and position, e.g. "A7"
    task_id: str
    topic: str
    key: str  # source letters
    n: int
    difficulty: float  # proportion correct, 0..1
    discrimination: float | None = None  # corrected item-total correlation
    upper_lower: float | None = None  # upper 27 % minus lower 27 % proportion correct
    option_shares: dict[str, float] = Field(default_factory=dict)  # source letter -> share
    blank_share: float = 0.0


class ItemAlert(_Model):
    source_position: int
    label: str = ""
    task_id: str
    kind: str  # "wrong-key", "variant-wrong-key", "variant-differs" (scoring.analysis)
    form: str | None = None
    message: str


class TestStatistics(_Model):
    n: int
    mean_percent: float
    sd_percent: float
    alpha: float | None = None  # Cronbach's alpha (KR-20 for 0/1 items)
    sem: float | None = None  # standard error of measurement, in points


class GrowthFigure(_Model):
    """Acceptance -> final growth in percentage points with its 95 % confidence interval."""

    difference: float | None = None
    n: int = 0  # cohort: teachers at the final; matched: teachers with both tests
    ci_low: float | None = None
    ci_high: float | None = None


class SummaryRow(_Model):
    """One department in one year: the table the cluster publishes."""

    department: str
    department_title: str
    year: int
    acceptance_percent: float | None = None
    acceptance_n: int = 0
    final_percent: float | None = None
    final_n: int = 0
    cohort: GrowthFigure = GrowthFigure()
    matched: GrowthFigure = GrowthFigure()
    stage_means: list[float | None] = Field(default_factory=list)  # per stage, stage order
    live: int = 0
    remote: int = 0
    flags: int = 0
    overrides: int = 0


class StandingRule(_Model):
    """Who is shown as a leader and who as lagging, kept with each test.

    ``quarter`` (the default): the top and the bottom quarter of the department's ranking.
    ``below:<p>``: lagging means a result under ``p`` %, whatever the ranking (a department
    that did well has nobody lagging); leaders stay the top quarter, or ``above:<q>`` % with
    ``below:<p>,above:<q>``."""

    below: float | None = None
    above: float | None = None

    @classmethod
    def parse(cls, text: str) -> StandingRule:
        """``quarter``, ``below:60`` or ``below:60,above:85``; ValueError otherwise."""
        text = text.strip().lower()
        if text in ("", "quarter"):
            return cls()
        values: dict[str, float] = {}
        for part in text.split(","):
            name, _, number = part.strip().partition(":")
            if name not in ("below", "above") or name in values:
                raise ValueError(text)
            value = float(number.replace("%", ""))
            if not 0 <= value <= 100:
                raise ValueError(text)
            values[name] = value
        if "below" not in values:
            raise ValueError(text)
        if "above" in values and values["above"] <= values["below"]:
            raise ValueError(text)
        return cls(below=values["below"], above=values.get("above"))

    def text(self) -> str:
        if self.below is None:
            return "quarter"
        above = f",above:{self.above:g}" if self.above is not None else ""
        return f"below:{self.below:g}{above}"

    def standing(self, rank: int, rank_of: int, percent: float | None) -> Standing:
        if rank_of <= 0:
            return "middle"
        share = max(1, round(STANDING_SHARE * rank_of))
        if self.above is not None and percent is not None:
            leader = percent >= self.above
        else:
            leader = rank <= share
        if leader:
            return "leader"
        if self.below is not None:
            return "lagging" if percent is not None and percent < self.below else "middle"
        return "lagging" if rank > rank_of - share else "middle"

    def described(self, language: str = "ru") -> str:
        """The rule as every report prints it."""
        ru = language == "ru"
        leaders = (
            (f"лидеры — результат не ниже {self.above:g} %" if ru
             else f"leaders: a result of {self.above:g} % or more")
            if self.above is not None
            else ("лидеры — верхняя четверть рейтинга кафедры" if ru
                  else "leaders: the top quarter of the department's ranking")
        )  # fmt: skip
        lagging = (
            (f"отстающие — результат ниже {self.below:g} %" if ru
             else f"lagging: a result under {self.below:g} %")
            if self.below is not None
            else ("отстающие — нижняя четверть рейтинга" if ru
                  else "lagging: the bottom quarter of the ranking")
        )  # fmt: skip
        text = f"{leaders}; {lagging}"
        return text[0].upper() + text[1:] + "."


class ReportData(BaseModel):
    """Everything ``scoring report`` renders for one test."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = REPORT_SCHEMA_VERSION
    generated: str  # ISO timestamp of collection, printed on every report
    test: TestMeta
    stages: list[StageMeta]  # the five stages of this department's year
    teachers: list[TeacherReport]  # department rank order
    topics: list[TopicMean]
    distribution: list[HistogramBin]
    statistics: TestStatistics
    items: list[ItemRow]
    alerts: list[ItemAlert]
    summary: list[SummaryRow]  # every department and year in the store
    unresolved: int = 0  # review items still open when published (--allow-unresolved)
    standing_rule: StandingRule = StandingRule()

    def preliminary(self) -> str:
        """What every report prints when it was published over open review items."""
        if not self.unresolved:
            return ""
        return " · " + tr(
            "PRELIMINARY: {n} not checked by hand (scoring review)", n=self.unresolved
        )

    def schools(self) -> list[str]:
        """The schools of the reported teachers, sorted."""
        return sorted({t.school for t in self.teachers})


def histogram(percents: list[float], *, width: float = 10.0) -> list[HistogramBin]:
    """Counts of percents in bins ``[0, 10), [10, 20) ... [90, 100]`` (100 goes in the last)."""
    edges = [width * k for k in range(int(100 / width) + 1)]
    counts = [0] * (len(edges) - 1)
    for value in percents:
        index = min(int(value // width), len(counts) - 1)
        counts[max(index, 0)] += 1
    return [
        HistogramBin(lower=lo, upper=hi, count=c)
        for lo, hi, c in zip(edges[:-1], edges[1:], counts, strict=True)
    ]


def standing_of(rank: int, rank_of: int) -> Standing:
    """Leader in the top quarter of the ranking, lagging in the bottom quarter."""
    return StandingRule().standing(rank, rank_of, None)


def form_title(teacher: TeacherReport) -> str:
    """ "3" for printed variant 3; "version A" for an online test built from source A."""
    if teacher.variant is not None:
        return str(teacher.variant)
    return tr("version {form}", form=teacher.form) if teacher.form else "—"


def pseudonym(teacher_id: str, key: str) -> str:
    """A stable code for a teacher in published pages: HMAC-SHA256 of the ID under ``key``
    (the store's own random secret, :meth:`scoring.store.Store.pseudonym_key`).

    Without the key the code cannot be recomputed from an ID, so the six-digit ID space cannot
    be searched; with it (the monitoring team) every code is the same across runs. The code
    hides who is who on a public page; it does not hide a teacher from someone who knows their
    score.
    """
    if not key:
        raise ValueError("a pseudonym needs a non-empty key")
    digest = hmac.new(key.encode(), teacher_id.encode(), hashlib.sha256).hexdigest()
    return f"T-{digest[:8].upper()}"
