"""The reports' shared words: titles of channels, standings, stages and alerts, and numbers
written the way the document's language writes them.

Every function answers in the language being spoken (:func:`common.i18n.speaking`), which
the renderers set to the test's own language: a Russian test gets Russian reports, an English
one English reports, whatever language the person running the command reads.
"""

from __future__ import annotations

from collections.abc import Sequence

from common.i18n import current_language, mark, tr
from common.vocabulary import department_title, stage_title

CLUSTER = mark("Monitoring of teachers' professional competences")
_CHANNELS = {"live": mark("in person (paper sheet)"), "remote": mark("remotely")}
_STANDINGS = {"leader": mark("leader"), "lagging": mark("lagging")}
_SINCE = {
    "acceptance": mark("since the acceptance test"),
    "intermediate-1": mark("since intermediate test 1"),
    "intermediate-2": mark("since intermediate test 2"),
    "intermediate-3": mark("since intermediate test 3"),
    "final": mark("since the final test"),
}
# Column heads for the five stages in narrow table columns.
_STAGE_COLUMNS = {
    "acceptance": mark("Acc."),
    "intermediate-1": mark("Int. 1"),
    "intermediate-2": mark("Int. 2"),
    "intermediate-3": mark("Int. 3"),
    "final": mark("Fin."),
}
_ALERTS = {
    "wrong-key": mark("possibly a wrong key"),
    "variant-wrong-key": mark("wrong key in one variant?"),
    "variant-differs": mark("the variant behaves differently"),
}


def most_used(languages: Sequence[str]) -> str:
    """The language of a document about several tests (the site's index, a department's page,
    a school's pack): the one most of them are written in, Russian on a tie or with none."""
    english = sum(language == "en" for language in languages)
    return "en" if english > len(languages) - english else "ru"


def cluster() -> str:
    return tr(CLUSTER)


def channel_title(channel: str) -> str:
    return tr(_CHANNELS[channel]) if channel in _CHANNELS else channel


def standing_title(standing: str, middle: str = "") -> str:
    """``leader`` / ``lagging`` in words; the middle of the ranking as ``middle``."""
    return tr(_STANDINGS[standing]) if standing in _STANDINGS else middle


def stage_column(stage: str) -> str:
    return tr(_STAGE_COLUMNS[stage]) if stage in _STAGE_COLUMNS else stage


def growth_since(stage: str) -> str:
    return tr(_SINCE[stage]) if stage in _SINCE else stage


def alert_title(kind: str) -> str:
    return tr(_ALERTS[kind]) if kind in _ALERTS else kind


def department_name(code: str) -> str:
    return department_title(code, current_language())


def stage_name(code: str) -> str:
    return stage_title(code, current_language())


def school_year(year: int) -> str:
    return tr("school year {start}/{end}", start=year, end=year + 1)


def of(part: object, whole: object) -> str:
    """ "12 of 30" in the document's language."""
    return tr("{part} of {whole}", part=part, whole=whole)


def pct(value: float | None, digits: int = 1) -> str:
    """A percent or ratio with a decimal comma in Russian, a point in English; an em dash
    for "not taken"."""
    if value is None:
        return "—"
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if current_language() == "ru" else text


def num(value: float) -> str:
    """Points: whole numbers without a decimal part (22, not 22.0)."""
    return str(int(value)) if float(value).is_integer() else pct(value)


def growth_points(value: float) -> str:
    """A growth in percentage points with its sign (a true minus): ``+6,0 п.п.``."""
    signed = ("+" if value >= 0 else "−") + pct(abs(value))
    return tr("{value} pp", value=signed)
