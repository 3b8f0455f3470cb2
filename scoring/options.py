"""Click options that more than one ``scoring`` command takes."""

from __future__ import annotations

import os
from pathlib import Path

import click

from scoring.store import DB_ENV

db_option = click.option(
    "--db",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help=f"Results store [default: ${DB_ENV}, else monitoring.db in the working folder].",
)

salt_option = click.option(
    "--salt",
    envvar="MONITORING_PSEUDONYM_SALT",
    default="",
    help="Key of the --pseudonymise codes instead of the store's own random key (env "
    "MONITORING_PSEUDONYM_SALT), to give the same codes as another store.",
)

workers_option = click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    callback=lambda _ctx, _param, value: value or os.cpu_count() or 1,
    help="Processes to render with (default: the number of CPUs).",
)
