"""Completion times as online exports write them -> sortable ``YYYY-MM-DDTHH:MM:SS`` text.

Only the order matters (to pick a teacher's latest attempt), so times are read as local
wall-clock times and time-zone suffixes such as ``GMT+3`` are dropped.
"""

from __future__ import annotations

import re
from datetime import datetime

_RU_MONTHS = {
    "января": 1,
    "февраля": 2,
    "марта": 3,
    "апреля": 4,
    "мая": 5,
    "июня": 6,
    "июля": 7,
    "августа": 8,
    "сентября": 9,
    "октября": 10,
    "ноября": 11,
    "декабря": 12,
}
_EN_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ]
    )
}
_FORMATS = (
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %I:%M:%S %p",
    "%Y/%m/%d %H:%M:%S",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%y %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p",
)
# "23 November 2026, 10:15 AM" (Moodle en) or "23 ноября 2026, 10:15" (Moodle ru)
_WORDY = re.compile(
    r"^(\d{1,2})\s+([^\W\d_]+)\s+(\d{4}),?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?$"
)


def sortable_time(text: str | None) -> str | None:
    """``"23 ноября 2026, 10:15"`` -> ``"2026-11-23T10:15:00"``; ``None`` if not understood."""
    if not text:
        return None
    clean = re.sub(r"\s*(GMT|UTC)[+-]?\d*(:\d\d)?$", "", " ".join(text.split()))
    for fmt in _FORMATS:
        try:
            return datetime.strptime(clean, fmt).isoformat()
        except ValueError:
            continue
    m = _WORDY.match(clean)
    if m:
        month_name = m.group(2).casefold()
        month = _RU_MONTHS.get(month_name) or _EN_MONTHS.get(month_name)
        if month:
            hour = int(m.group(4))
            ampm = (m.group(7) or "").lower()
            if ampm == "pm" and hour < 12:
                hour += 12
            elif ampm == "am" and hour == 12:
                hour = 0
            try:
                stamp = datetime(
                    int(m.group(3)),
                    month,
                    int(m.group(1)),
                    hour,
                    int(m.group(5)),
                    int(m.group(6) or 0),
                )
            except ValueError:
                return None
            return stamp.isoformat()
    return None
