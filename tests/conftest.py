"""The whole suite speaks English whatever the machine's locale, so messages can be compared;
the tests of the Russian interface ask for it (``--lang ru`` or ``MONITORING_LANG=ru``)."""

from __future__ import annotations

import os


def pytest_configure() -> None:
    os.environ["MONITORING_LANG"] = "en"
