"""The results store: one SQLite file (WAL, ``synchronous=FULL``) with a versioned schema.

Where the file is: ``--db``, else the ``MONITORING_DB`` environment variable, else
``monitoring.db`` in the working folder (:func:`default_db_path`).

Tables (see docs/formats.md, "Results store"): ``schools``, ``teachers``, ``tests`` (with the
manifest as JSON), ``attempts`` (one row per imported sheet page or online attempt, with its
provenance and review evidence), ``overrides`` (audited manual corrections), ``imports`` (a
log of each file imported), and for the review (``scoring.review``) ``pending`` (sheets and
rows a person must settle before they become attempts), ``decisions`` (one audited decision
per review item) and ``aliases`` (whom an unknown identity stands for); for opinion polls
(``scoring.polls``) ``polls``, ``poll_responses`` and ``poll_decisions``. Every import runs in
one ``BEGIN IMMEDIATE`` transaction, so there is one writer at a time and a killed import
leaves nothing behind; attempts carry a content ``fingerprint`` that is unique per test, so
importing the same file or sheet twice adds nothing.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from common.errors import InputNotFound, StoreError, ToolError
from common.i18n import tr
from common.roster import Teacher
from common.vocabulary import Department
from testgen.manifest import Manifest, PollManifest

DEFAULT_DB_NAME = "monitoring.db"
DB_ENV = "MONITORING_DB"
BUSY_TIMEOUT_MS = 10_000

# Per-question state codes kept in ``attempts.state_codes`` (one byte per printed question).
STATE_CODES: dict[str, int] = {
    "absent": 0,  # the question is not on this sheet page / not in this export
    "blank": 1,
    "marked": 2,
    "multiple": 3,
    "ambiguous": 4,  # OMR could not decide: flagged, scored as wrong until overridden
    "unmatched": 5,  # an online answer text that matches no option of the task
    "incorrect": 6,  # a grades export says wrong but not which option was chosen
}
STATE_NAMES: tuple[str, ...] = tuple(STATE_CODES)


def now_utc() -> str:
    """ISO-8601 UTC timestamp with microseconds, sortable as text."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def default_db_path(explicit: str | Path | None = None) -> Path:
    """``explicit``, else ``$MONITORING_DB``, else ``./monitoring.db``."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(DB_ENV)
    return Path(env) if env else Path(DEFAULT_DB_NAME)


def _run_script(con: sqlite3.Connection, script: str) -> None:
    # Not executescript(): it commits first, and a migration must be one transaction.
    for statement in script.split(";"):
        if statement.strip():
            con.execute(statement)


def _migration_1(con: sqlite3.Connection) -> None:
    _run_script(
        con,
        """
        CREATE TABLE schools (
            name TEXT PRIMARY KEY
        );
        CREATE TABLE teachers (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            department TEXT NOT NULL,
            school TEXT NOT NULL REFERENCES schools(name),
            email TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX teachers_email ON teachers(lower(email));
        CREATE TABLE tests (
            id TEXT PRIMARY KEY,
            department TEXT NOT NULL,
            year INTEGER NOT NULL,
            stage TEXT NOT NULL,
            manifest TEXT NOT NULL,
            prefer TEXT NOT NULL DEFAULT 'live' CHECK (prefer IN ('live', 'remote', 'latest')),
            registered_at TEXT NOT NULL
        );
        CREATE TABLE imports (
            id INTEGER PRIMARY KEY,
            test_id TEXT NOT NULL REFERENCES tests(id),
            file TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            format TEXT NOT NULL,
            imported_at TEXT NOT NULL,
            new INTEGER NOT NULL,
            unchanged INTEGER NOT NULL,
            problems INTEGER NOT NULL
        );
        CREATE TABLE attempts (
            id INTEGER PRIMARY KEY,
            test_id TEXT NOT NULL REFERENCES tests(id),
            teacher_id TEXT NOT NULL REFERENCES teachers(id),
            channel TEXT NOT NULL CHECK (channel IN ('live', 'remote')),
            format TEXT NOT NULL,
            source_file TEXT NOT NULL,
            source_sha256 TEXT NOT NULL,
            locator TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            imported_at TEXT NOT NULL,
            taken_at TEXT,
            form TEXT NOT NULL,
            sheet_page INTEGER,
            answers TEXT NOT NULL,
            states TEXT NOT NULL,
            flags TEXT NOT NULL,
            marks BLOB NOT NULL,
            state_codes BLOB NOT NULL,
            UNIQUE (test_id, fingerprint)
        );
        CREATE INDEX attempts_teacher ON attempts(test_id, teacher_id);
        CREATE INDEX attempts_test ON attempts(test_id, id);
        CREATE TABLE overrides (
            id INTEGER PRIMARY KEY,
            test_id TEXT NOT NULL REFERENCES tests(id),
            teacher_id TEXT NOT NULL REFERENCES teachers(id),
            question INTEGER NOT NULL,
            before TEXT NOT NULL,
            after TEXT NOT NULL,
            who TEXT NOT NULL,
            at TEXT NOT NULL,
            why TEXT NOT NULL
        );
        """,
    )


def _migration_2(con: sqlite3.Connection) -> None:
    # Which of a teacher's online attempts counts (see scoring.merge): a per-test rule.
    con.execute(
        "ALTER TABLE tests ADD COLUMN attempts TEXT NOT NULL DEFAULT 'first' "
        "CHECK (attempts IN ('first', 'last', 'highest'))"
    )


def _migration_3(con: sqlite3.Connection) -> None:
    # Store-wide settings, e.g. the random key of the published pseudonyms.
    con.execute("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


def _migration_4(con: sqlite3.Connection) -> None:
    # The review (scoring.review): pictures and reader figures per attempt, what could not
    # become an attempt yet, one audited decision per queue item, the double-mark policy.
    _run_script(
        con,
        """
        ALTER TABLE attempts ADD COLUMN evidence TEXT NOT NULL DEFAULT '{}';
        ALTER TABLE attempts ADD COLUMN excluded INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE tests ADD COLUMN double_marks TEXT NOT NULL DEFAULT 'wrong'
            CHECK (double_marks IN ('wrong', 'review'));
        CREATE TABLE pending (
            id INTEGER PRIMARY KEY,
            test_id TEXT NOT NULL REFERENCES tests(id),
            kind TEXT NOT NULL CHECK (kind IN ('respondent', 'refused')),
            channel TEXT NOT NULL,
            format TEXT NOT NULL,
            source_file TEXT NOT NULL,
            source_sha256 TEXT NOT NULL,
            locator TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            reason TEXT NOT NULL,
            identity TEXT NOT NULL,
            record TEXT NOT NULL,
            evidence TEXT NOT NULL DEFAULT '{}',
            imported_at TEXT NOT NULL,
            UNIQUE (test_id, fingerprint)
        );
        CREATE TABLE decisions (
            id INTEGER PRIMARY KEY,
            test_id TEXT NOT NULL REFERENCES tests(id),
            item TEXT NOT NULL,
            kind TEXT NOT NULL,
            before TEXT NOT NULL,
            after TEXT NOT NULL,
            who TEXT NOT NULL,
            at TEXT NOT NULL,
            why TEXT NOT NULL,
            UNIQUE (test_id, item)
        );
        CREATE TABLE aliases (
            test_id TEXT NOT NULL REFERENCES tests(id),
            identity TEXT NOT NULL,
            teacher_id TEXT NOT NULL REFERENCES teachers(id),
            PRIMARY KEY (test_id, identity)
        )
        """,
    )


def _migration_5(con: sqlite3.Connection) -> None:
    # Opinion polls (scoring.polls): the poll's manifest, one row per response (an anonymous
    # poll's have no teacher_id: the column stays NULL by construction), one audited decision
    # per settled row.
    _run_script(
        con,
        """
        CREATE TABLE polls (
            id TEXT PRIMARY KEY,
            year INTEGER NOT NULL,
            anonymous INTEGER NOT NULL,
            manifest TEXT NOT NULL,
            registered_at TEXT NOT NULL
        );
        CREATE TABLE poll_responses (
            id INTEGER PRIMARY KEY,
            poll_id TEXT NOT NULL REFERENCES polls(id),
            fingerprint TEXT NOT NULL,
            channel TEXT NOT NULL,
            format TEXT NOT NULL,
            source_file TEXT NOT NULL,
            locator TEXT NOT NULL,
            department TEXT,
            teacher_id TEXT REFERENCES teachers(id),
            ratings TEXT NOT NULL,
            letters TEXT NOT NULL,
            doubtful TEXT NOT NULL,
            evidence TEXT NOT NULL DEFAULT '{}',
            comment TEXT,
            imported_at TEXT NOT NULL,
            UNIQUE (poll_id, fingerprint)
        );
        CREATE TABLE poll_decisions (
            id INTEGER PRIMARY KEY,
            poll_id TEXT NOT NULL REFERENCES polls(id),
            item TEXT NOT NULL,
            before TEXT NOT NULL,
            after TEXT NOT NULL,
            who TEXT NOT NULL,
            at TEXT NOT NULL,
            why TEXT NOT NULL,
            UNIQUE (poll_id, item)
        )
        """,
    )


def _migration_6(con: sqlite3.Connection) -> None:
    # Who is a leader and who is lagging (scoring.report.data.StandingRule): a per-test rule.
    con.execute("ALTER TABLE tests ADD COLUMN standing TEXT NOT NULL DEFAULT 'quarter'")


def _migration_7(con: sqlite3.Connection) -> None:
    # The tutors' recommendations a report showed, per test and teacher, so the website's
    # teacher pages and later report runs show the same words without the file.
    _run_script(
        con,
        """
        CREATE TABLE recommendations (
            test_id TEXT NOT NULL REFERENCES tests(id),
            teacher_id TEXT NOT NULL,
            text TEXT NOT NULL,
            PRIMARY KEY (test_id, teacher_id)
        )
        """,
    )


# Ordered: migration k brings the schema from version k-1 to k. Append, never edit.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _migration_1,
    _migration_2,
    _migration_3,
    _migration_4,
    _migration_5,
    _migration_6,
    _migration_7,
)
SCHEMA_VERSION = len(MIGRATIONS)


@dataclass(frozen=True)
class PollResponseRecord:
    """One poll response as it goes into the store: ratings per rated row (``None`` when not
    given or not readable), the raw reading per row, the rows a person must settle."""

    fingerprint: str
    channel: str
    format: str
    source_file: str
    locator: str
    department: str | None
    teacher_id: str | None
    ratings: list[int | None]
    letters: list[str]
    doubtful: list[int]  # 1-based sheet positions (the department row's included)
    evidence: dict[str, str] = field(default_factory=dict)
    comment: str | None = None


@dataclass(frozen=True)
class StoredPollResponse:
    id: int
    channel: str
    format: str
    source_file: str
    locator: str
    department: str | None
    teacher_id: str | None
    ratings: list[int | None]
    letters: list[str]
    doubtful: list[int]
    evidence: dict[str, str]
    comment: str | None


@dataclass(frozen=True)
class AttemptRecord:
    """One attempt as it goes into the store.

    ``answers`` and ``states`` have one entry per printed question of ``form`` (``"A"``,
    ``"B"`` or ``"V<n>"``); answers are printed letters (``""`` for none, ``"?"`` when
    ambiguous). ``marks`` is the same in bytes: bit p set when printed letter p was chosen.
    """

    teacher_id: str
    channel: str
    format: str
    source_file: str
    source_sha256: str
    locator: str
    fingerprint: str
    form: str
    answers: tuple[str, ...]
    states: tuple[str, ...]
    flags: tuple[str, ...] = ()
    taken_at: str | None = None
    sheet_page: int | None = None
    # for the review: picture paths ("page", "q7", "id") and the reader's figures of the
    # questions in doubt ("fills": {"7": [...]}, "confidence": {"7": 0.0})
    evidence: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class PendingRecord:
    """A sheet or row that could not become an attempt yet: its respondent is unknown (an
    unreadable or unlisted ID, a mistyped ID on a form, an online row that matched no one) or
    the sheet was refused. ``record`` is what is needed to make the attempt once a person has
    settled it (JSON-able); ``identity`` what the source said of the respondent."""

    kind: str  # "respondent" | "refused"
    channel: str
    format: str
    source_file: str
    source_sha256: str
    locator: str
    fingerprint: str
    reason: str
    identity: str
    record: Mapping[str, object]
    evidence: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Pending:
    id: int
    kind: str
    channel: str
    format: str
    source_file: str
    source_sha256: str
    locator: str
    fingerprint: str
    reason: str
    identity: str
    record: dict[str, object]
    evidence: dict[str, object]


@dataclass(frozen=True)
class Decision:
    """One settled review item (audited): who decided what, when, why."""

    id: int
    test_id: str
    item: str
    kind: str
    before: str
    after: str
    who: str
    at: str
    why: str


class AlreadyDecided(ToolError):
    """The review item was settled by someone else first."""


class AttemptRow(NamedTuple):
    """One stored attempt as the merge reads it: columns of ``attempts`` by name."""

    id: int
    teacher_id: str
    channel: str
    format: str
    source_file: str
    source_sha256: str
    locator: str
    imported_at: str
    taken_at: str | None
    form: str
    sheet_page: int | None
    flags: str  # JSON list
    marks: bytes
    state_codes: bytes


@dataclass(frozen=True)
class StoredAttempt:
    id: int
    teacher_id: str
    channel: str
    format: str
    source_file: str
    source_sha256: str
    locator: str
    imported_at: str
    taken_at: str | None
    form: str
    sheet_page: int | None
    answers: list[str]
    states: list[str]
    flags: list[str]
    marks: bytes
    state_codes: bytes


@dataclass(frozen=True)
class Override:
    id: int
    test_id: str
    teacher_id: str
    question: int
    before: str
    after: str
    who: str
    at: str
    why: str


def letters_mask(letters: str) -> int:
    """``"AC"`` -> 0b101; ``"?"`` and ``""`` -> 0."""
    mask = 0
    for ch in letters:
        k = ord(ch) - 65
        if 0 <= k < 8:
            mask |= 1 << k
    return mask


class Roster(Mapping[str, Teacher]):
    """Teachers by ID, made into :class:`Teacher` models only when looked up (a store may
    hold 100,000 of them and a report needs a few hundred). Rows were validated when the
    roster was imported, so they are not validated again."""

    def __init__(self, rows: dict[str, tuple[str, str, str, str, str]]):
        self._rows = rows
        self._made: dict[str, Teacher] = {}

    def __getitem__(self, teacher_id: str) -> Teacher:
        made = self._made.get(teacher_id)
        if made is None:
            r = self._rows[teacher_id]
            made = Teacher.model_construct(
                id=r[0], name=r[1], department=Department(r[2]), school=r[3], email=r[4]
            )
            self._made[teacher_id] = made
        return made

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, teacher_id: object) -> bool:
        return teacher_id in self._rows

    def department_of(self, teacher_id: str) -> str:
        return self._rows[teacher_id][2]

    def by_email(self) -> dict[str, str]:
        """Case-folded e-mail -> teacher ID."""
        return {r[4].casefold(): r[0] for r in self._rows.values() if r[4]}


def _already_decided(first: tuple[str, str, str] | None, item: str) -> AlreadyDecided:
    """The refusal of a second decision on ``item``, naming the first (who, at, after)."""
    who_first, at_first, after_first = first if first else ("someone", "", "")
    return AlreadyDecided(
        tr(
            "already settled by {who_first} at {at_first} ({value})",
            who_first=who_first,
            at_first=at_first,
            value=after_first or "blank",
        ),
        where=item,
        hint=tr("reload the queue"),
    )


def _write_hint(error: sqlite3.Error) -> str:
    text = str(error).lower()
    if "full" in text:
        return tr("free disk space and run again")
    if "readonly" in text or "read-only" in text:
        return tr("the store or its folder is read-only: fix the permissions")
    return tr("another import is running; wait and try again")


class Store:
    """An open store. Use :func:`open_store` (a context manager) to get one."""

    def __init__(self, con: sqlite3.Connection, path: Path):
        self.con = con
        self.path = path

    # -- transactions -------------------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; rolled back on any exception (or when the process dies)."""
        try:
            self.con.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise StoreError(
                tr("cannot start writing ({error})", error=error),
                where=str(self.path),
                hint=_write_hint(error),
            ) from None
        try:
            yield self.con
            self.con.execute("COMMIT")
        except BaseException as error:
            # SQLite rolls back by itself on some errors (a full disk): then there is no
            # transaction left to roll back, and trying would hide the real error.
            if self.con.in_transaction:
                self.con.execute("ROLLBACK")
            if isinstance(error, sqlite3.DatabaseError):
                raise StoreError(
                    tr(
                        "cannot write the store ({error}); nothing of this step was written",
                        error=error,
                    ),
                    where=str(self.path),
                    hint=_write_hint(error),
                ) from None
            raise

    # -- teachers ----------------------------------------------------------------------
    def upsert_teachers(self, con: sqlite3.Connection, teachers: list[Teacher]) -> tuple[int, int]:
        """Insert or update; returns (new, updated). Call inside :meth:`write`."""
        new = updated = 0
        for t in teachers:
            con.execute("INSERT OR IGNORE INTO schools(name) VALUES (?)", (t.school,))
            row = con.execute(
                "SELECT name, department, school, email FROM teachers WHERE id = ?", (t.id,)
            ).fetchone()
            values = (t.name, str(t.department), t.school, t.email)
            if row is None:
                con.execute(
                    "INSERT INTO teachers(id, name, department, school, email) VALUES (?,?,?,?,?)",
                    (t.id, *values),
                )
                new += 1
            elif tuple(row) != values:
                con.execute(
                    "UPDATE teachers SET name=?, department=?, school=?, email=? WHERE id=?",
                    (*values, t.id),
                )
                updated += 1
        return new, updated

    def teachers(self) -> Roster:
        """The roster, by teacher ID."""
        rows = self.con.execute(
            "SELECT id, name, department, school, email FROM teachers ORDER BY id"
        ).fetchall()
        return Roster({r[0]: r for r in rows})

    # -- tests -------------------------------------------------------------------------
    def register_test(self, manifest: Manifest) -> None:
        """Store the test's manifest; refuse a different build of a test that has results."""
        text = manifest.model_dump_json()
        info = manifest.test
        with self.write() as con:
            row = con.execute("SELECT manifest FROM tests WHERE id = ?", (info.id,)).fetchone()
            if row is not None:
                if row[0] == text:
                    return
                old = Manifest.model_validate_json(row[0])
                has = con.execute(
                    "SELECT 1 FROM attempts WHERE test_id = ? LIMIT 1", (info.id,)
                ).fetchone()
                if has and (old.variants != manifest.variants or old.sources != manifest.sources):
                    raise StoreError(
                        tr(
                            "test {id} in the store has results from a different build "
                            "(variants or tasks differ)",
                            id=info.id,
                        ),
                        where=str(self.path),
                        hint=tr(
                            "import into a new store or rebuild with the original spec and seed"
                        ),
                    )
                con.execute(
                    "UPDATE tests SET department=?, year=?, stage=?, manifest=? WHERE id=?",
                    (str(info.department), info.year, str(info.stage), text, info.id),
                )
                return
            con.execute(
                "INSERT INTO tests(id, department, year, stage, manifest, registered_at) "
                "VALUES (?,?,?,?,?,?)",
                (info.id, str(info.department), info.year, str(info.stage), text, now_utc()),
            )

    # -- polls ------------------------------------------------------------------------
    def register_poll(self, manifest: PollManifest) -> None:
        """Store the poll's manifest; refuse a different build of a poll that has answers."""
        text = manifest.model_dump_json()
        info = manifest.poll
        with self.write() as con:
            row = con.execute("SELECT manifest FROM polls WHERE id = ?", (info.id,)).fetchone()
            if row is not None and row[0] != text:
                old = PollManifest.model_validate_json(row[0])
                has = con.execute(
                    "SELECT 1 FROM poll_responses WHERE poll_id = ? LIMIT 1", (info.id,)
                ).fetchone()
                if has and (old.rows != manifest.rows or old.poll != manifest.poll):
                    raise StoreError(
                        tr("poll {id} in the store has answers to a different build", id=info.id),
                        where=str(self.path),
                        hint=tr("import into a new store or rebuild from the original spec"),
                    )
            con.execute(
                "INSERT INTO polls(id, year, anonymous, manifest, registered_at) "
                "VALUES (?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET year=excluded.year, "
                "anonymous=excluded.anonymous, manifest=excluded.manifest",
                (info.id, info.year, int(info.anonymous), text, now_utc()),
            )

    def poll_manifest(self, poll_id: str) -> PollManifest:
        row = self.con.execute("SELECT manifest FROM polls WHERE id = ?", (poll_id,)).fetchone()
        if row is None:
            known = [r[0] for r in self.con.execute("SELECT id FROM polls ORDER BY id")]
            raise ToolError(
                tr("poll {poll_id} is not in the store", poll_id=poll_id),
                hint=tr("known polls: {join}", join=", ".join(known) or "-"),
            )
        return PollManifest.model_validate_json(row[0])

    def polls(self) -> list[tuple[str, int]]:
        """(id, year) of every poll in the store."""
        return [(r[0], r[1]) for r in self.con.execute("SELECT id, year FROM polls ORDER BY id")]

    def is_poll(self, poll_id: str) -> bool:
        return (
            self.con.execute("SELECT 1 FROM polls WHERE id = ?", (poll_id,)).fetchone() is not None
        )

    def insert_poll_responses(
        self, con: sqlite3.Connection, poll_id: str, responses: list[PollResponseRecord]
    ) -> tuple[int, int]:
        """Insert responses not stored yet (by fingerprint); (new, already stored)."""
        new = 0
        for r in responses:
            cur = con.execute(
                "INSERT OR IGNORE INTO poll_responses(poll_id, fingerprint, channel, format, "
                "source_file, locator, department, teacher_id, ratings, letters, doubtful, "
                "evidence, comment, imported_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    poll_id, r.fingerprint, r.channel, r.format, r.source_file, r.locator,
                    r.department, r.teacher_id, json.dumps(r.ratings), json.dumps(r.letters),
                    json.dumps(r.doubtful), json.dumps(r.evidence, ensure_ascii=False),
                    r.comment, now_utc(),
                ),
            )  # fmt: skip
            new += cur.rowcount
        return new, len(responses) - new

    def poll_responses(self, poll_id: str) -> list[StoredPollResponse]:
        rows = self.con.execute(
            "SELECT id, channel, format, source_file, locator, department, teacher_id, ratings, "
            "letters, doubtful, evidence, comment FROM poll_responses WHERE poll_id = ? "
            "ORDER BY id",
            (poll_id,),
        )
        return [
            StoredPollResponse(
                id=r[0],
                channel=r[1],
                format=r[2],
                source_file=r[3],
                locator=r[4],
                department=r[5],
                teacher_id=r[6],
                ratings=json.loads(r[7]),
                letters=json.loads(r[8]),
                doubtful=json.loads(r[9]),
                evidence=json.loads(r[10]),
                comment=r[11],
            )
            for r in rows
        ]

    def settle_poll_row(
        self,
        con: sqlite3.Connection,
        poll_id: str,
        item: str,
        response_id: int,
        changes: dict[str, object],
        before: str,
        after: str,
        who: str,
        why: str,
    ) -> None:
        """Record the decision on a poll review item and apply it to its response:
        ``changes`` holds the new ``ratings`` / ``department`` / ``doubtful``."""
        try:
            con.execute(
                "INSERT INTO poll_decisions(poll_id, item, before, after, who, at, why) "
                "VALUES (?,?,?,?,?,?,?)",
                (poll_id, item, before, after, who, now_utc(), why),
            )
        except sqlite3.IntegrityError:
            raise _already_decided(
                con.execute(
                    "SELECT who, at, after FROM poll_decisions WHERE poll_id = ? AND item = ?",
                    (poll_id, item),
                ).fetchone(),
                item,
            ) from None
        for column in ("ratings", "department", "doubtful"):
            if column in changes:
                value = changes[column]
                con.execute(
                    f"UPDATE poll_responses SET {column} = ? WHERE id = ? AND poll_id = ?",
                    (json.dumps(value) if column != "department" else value, response_id,
                     poll_id),
                )  # fmt: skip

    def poll_decisions(self, poll_id: str) -> list[tuple[str, str, str, str, str]]:
        """(item, before, after, who, at) of every decision on the poll."""
        return [
            (r[0], r[1], r[2], r[3], r[4])
            for r in self.con.execute(
                "SELECT item, before, after, who, at FROM poll_decisions WHERE poll_id = ? "
                "ORDER BY id",
                (poll_id,),
            )
        ]

    def set_rules(
        self,
        con: sqlite3.Connection,
        test_id: str,
        *,
        prefer: str | None = None,
        attempts: str | None = None,
        double_marks: str | None = None,
        standing: str | None = None,
    ) -> None:
        """Set the test's rules (``None`` keeps a rule). Call inside :meth:`write`."""
        if standing is not None:
            con.execute("UPDATE tests SET standing = ? WHERE id = ?", (standing, test_id))
        if prefer is not None:
            con.execute("UPDATE tests SET prefer = ? WHERE id = ?", (prefer, test_id))
        if attempts is not None:
            con.execute("UPDATE tests SET attempts = ? WHERE id = ?", (attempts, test_id))
        if double_marks is not None:
            con.execute("UPDATE tests SET double_marks = ? WHERE id = ?", (double_marks, test_id))

    def set_recommendations(
        self, con: sqlite3.Connection, test_id: str, texts: dict[str, str]
    ) -> None:
        """Replace the test's recommendations by ``texts`` (teacher ID -> what the report
        showed). Call inside :meth:`write`."""
        con.execute("DELETE FROM recommendations WHERE test_id = ?", (test_id,))
        con.executemany(
            "INSERT INTO recommendations(test_id, teacher_id, text) VALUES (?, ?, ?)",
            [(test_id, teacher, text) for teacher, text in sorted(texts.items()) if text],
        )

    def recommendations(self, test_id: str) -> dict[str, str]:
        """Teacher ID -> the recommendation last published with the test."""
        return {
            str(teacher): str(text)
            for teacher, text in self.con.execute(
                "SELECT teacher_id, text FROM recommendations WHERE test_id = ?", (test_id,)
            )
        }

    def pseudonym_key(self) -> str:
        """The store's secret for pseudonyms: 32 random bytes made on first use and kept in the
        store, so codes are stable across runs and cannot be recomputed from IDs elsewhere."""
        row = self.con.execute("SELECT value FROM settings WHERE key = 'pseudonym_key'").fetchone()
        if row is not None:
            return str(row[0])
        with self.write() as con:
            con.execute(
                "INSERT OR IGNORE INTO settings(key, value) VALUES ('pseudonym_key', ?)",
                (secrets.token_hex(32),),
            )
            found = con.execute("SELECT value FROM settings WHERE key = 'pseudonym_key'").fetchone()
        return str(found[0])

    def rules(self, test_id: str) -> tuple[str, str]:
        """(prefer, attempts) of a test; the defaults for a test not in the store."""
        row = self.con.execute(
            "SELECT prefer, attempts FROM tests WHERE id = ?", (test_id,)
        ).fetchone()
        return (row[0], row[1]) if row else ("live", "first")

    def standing_rule(self, test_id: str) -> str:
        """The test's standing rule as stored (``quarter``, ``below:60`` …)."""
        row = self.con.execute("SELECT standing FROM tests WHERE id = ?", (test_id,)).fetchone()
        return str(row[0]) if row else "quarter"

    def manifest(self, test_id: str) -> Manifest:
        return Manifest.model_validate_json(self.manifest_json(test_id))

    def manifest_json(self, test_id: str) -> str:
        """The stored manifest as written (the review caches what it parses by this text)."""
        row = self.con.execute("SELECT manifest FROM tests WHERE id = ?", (test_id,)).fetchone()
        if row is None:
            known = [r[0] for r in self.con.execute("SELECT id FROM tests ORDER BY id")]
            raise StoreError(
                tr("test {test_id} is not in the store", test_id=test_id),
                where=str(self.path),
                hint=(
                    tr("known tests: {join}", join=", ".join(known))
                    if known
                    else tr(
                        "import results with `scoring import FILE --test build/<test-id>` first"
                    )
                ),
            )
        return str(row[0])

    def tests(self) -> list[tuple[str, str, int, str]]:
        """(id, department, year, stage) of every stored test."""
        rows = self.con.execute("SELECT id, department, year, stage FROM tests ORDER BY id")
        return [tuple(r) for r in rows]  # type: ignore[misc]

    # -- attempts ----------------------------------------------------------------------
    def insert_attempts(
        self, con: sqlite3.Connection, test_id: str, records: list[AttemptRecord]
    ) -> tuple[int, int]:
        """Insert attempts whose fingerprint is new; returns (new, unchanged)."""
        stamp = now_utc()
        masks: dict[str, int] = {}
        values = []
        for rec in records:
            for a in rec.answers:
                if a not in masks:
                    masks[a] = letters_mask(a)
            values.append(
                (
                    test_id,
                    rec.teacher_id,
                    rec.channel,
                    rec.format,
                    rec.source_file,
                    rec.source_sha256,
                    rec.locator,
                    rec.fingerprint,
                    stamp,
                    rec.taken_at,
                    rec.form,
                    rec.sheet_page,
                    json.dumps(rec.answers),
                    json.dumps(rec.states),
                    json.dumps(rec.flags, ensure_ascii=False) if rec.flags else "[]",
                    bytes(masks[a] for a in rec.answers),
                    bytes(STATE_CODES[s] for s in rec.states),
                    json.dumps(dict(rec.evidence), ensure_ascii=False) if rec.evidence else "{}",
                )
            )
        before = con.total_changes
        con.executemany(
            "INSERT OR IGNORE INTO attempts(test_id, teacher_id, channel, format, "
            "source_file, source_sha256, locator, fingerprint, imported_at, taken_at, form, "
            "sheet_page, answers, states, flags, marks, state_codes, evidence) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            values,
        )
        new = con.total_changes - before
        return new, len(records) - new

    def log_import(
        self,
        con: sqlite3.Connection,
        test_id: str,
        file: str,
        sha256: str,
        fmt: str,
        counts: tuple[int, int, int],
    ) -> None:
        con.execute(
            "INSERT INTO imports(test_id, file, sha256, format, imported_at, new, unchanged, "
            "problems) VALUES (?,?,?,?,?,?,?,?)",
            (test_id, file, sha256, fmt, now_utc(), *counts),
        )

    def attempt_rows(self, test_id: str) -> list[AttemptRow]:
        """The attempts of a test in import order, as light named tuples for the merge
        (100,000 rows: tuples, not models)."""
        cursor = self.con.execute(
            f"SELECT {', '.join(AttemptRow._fields)} FROM attempts "
            "WHERE test_id = ? AND excluded = 0 ORDER BY id",
            (test_id,),
        )
        return list(map(AttemptRow._make, cursor))

    def evidence(self, attempt_ids: list[int]) -> dict[int, dict[str, object]]:
        """The review evidence of some attempts (only those that have any)."""
        out: dict[int, dict[str, object]] = {}
        for chunk in range(0, len(attempt_ids), 500):
            ids = attempt_ids[chunk : chunk + 500]
            marks = ",".join("?" * len(ids))
            rows = self.con.execute(
                f"SELECT id, evidence FROM attempts WHERE id IN ({marks}) AND evidence != '{{}}'",
                ids,
            )
            out.update({int(r[0]): json.loads(r[1]) for r in rows})
        return out

    def exclude_attempt(self, con: sqlite3.Connection, attempt_id: int) -> None:
        """Set an attempt aside (its sheet is to be rescanned); it stays for the audit."""
        con.execute("UPDATE attempts SET excluded = 1 WHERE id = ?", (attempt_id,))

    # -- what could not become an attempt yet --------------------------------------------
    def insert_pending(
        self, con: sqlite3.Connection, test_id: str, records: list[PendingRecord]
    ) -> int:
        """Keep sheets and rows a person must settle; returns how many were new."""
        stamp = now_utc()
        before = con.total_changes
        con.executemany(
            "INSERT OR IGNORE INTO pending(test_id, kind, channel, format, source_file, "
            "source_sha256, locator, fingerprint, reason, identity, record, evidence, "
            "imported_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    test_id,
                    r.kind,
                    r.channel,
                    r.format,
                    r.source_file,
                    r.source_sha256,
                    r.locator,
                    r.fingerprint,
                    r.reason,
                    r.identity,
                    json.dumps(dict(r.record), ensure_ascii=False),
                    json.dumps(dict(r.evidence), ensure_ascii=False),
                    stamp,
                )
                for r in records
            ],
        )
        return con.total_changes - before

    def pending(self, test_id: str) -> list[Pending]:
        rows = self.con.execute(
            "SELECT id, kind, channel, format, source_file, source_sha256, locator, "
            "fingerprint, reason, identity, record, evidence FROM pending WHERE test_id = ? "
            "ORDER BY id",
            (test_id,),
        ).fetchall()
        return [
            Pending(
                id=r[0],
                kind=r[1],
                channel=r[2],
                format=r[3],
                source_file=r[4],
                source_sha256=r[5],
                locator=r[6],
                fingerprint=r[7],
                reason=r[8],
                identity=r[9],
                record=json.loads(r[10]),
                evidence=json.loads(r[11]),
            )
            for r in rows
        ]

    # -- review decisions ----------------------------------------------------------------
    def add_decision(
        self,
        con: sqlite3.Connection,
        test_id: str,
        item: str,
        kind: str,
        before: str,
        after: str,
        who: str,
        why: str,
    ) -> Decision:
        """Record the decision on a review item; :class:`AlreadyDecided` when it has one."""
        at = now_utc()
        try:
            cur = con.execute(
                "INSERT INTO decisions(test_id, item, kind, before, after, who, at, why) "
                "VALUES (?,?,?,?,?,?,?,?)",
                (test_id, item, kind, before, after, who, at, why),
            )
        except sqlite3.IntegrityError:
            raise _already_decided(
                con.execute(
                    "SELECT who, at, after FROM decisions WHERE test_id = ? AND item = ?",
                    (test_id, item),
                ).fetchone(),
                item,
            ) from None
        return Decision(int(cur.lastrowid or 0), test_id, item, kind, before, after, who, at, why)

    def decisions(self, test_id: str) -> list[Decision]:
        rows = self.con.execute(
            "SELECT id, test_id, item, kind, before, after, who, at, why FROM decisions "
            "WHERE test_id = ? ORDER BY id",
            (test_id,),
        ).fetchall()
        return [Decision(*r) for r in rows]

    def revoke_decision(
        self,
        con: sqlite3.Connection,
        decision: Decision,
        who: str,
        *,
        override: tuple[str, int] | None = None,
        restore_attempt: int | None = None,
    ) -> None:
        """Undo a decision: its row stays for the audit under another item name (so the item
        is open again). ``override``: (teacher, question) of the override it made, removed;
        ``restore_attempt``: an attempt it set aside, taken back."""
        stamp = now_utc()
        con.execute(
            "UPDATE decisions SET item = ?, why = ? WHERE id = ?",
            (f"{decision.item}#undone-{decision.id}", f"{decision.why}; undone by {who} at {stamp}",
             decision.id),
        )  # fmt: skip
        if override is not None:
            # the override this decision made: the latest of its teacher, question and reviewer
            con.execute(
                "DELETE FROM overrides WHERE id = (SELECT max(id) FROM overrides WHERE "
                "test_id = ? AND teacher_id = ? AND question = ? AND who = ? AND after = ?)",
                (decision.test_id, override[0], override[1], decision.who, decision.after),
            )
        if restore_attempt is not None:
            con.execute("UPDATE attempts SET excluded = 0 WHERE id = ?", (restore_attempt,))

    def channel_choices(self, test_id: str) -> dict[str, str]:
        """Teacher -> the channel a reviewer chose in a live/remote conflict."""
        rows = self.con.execute(
            "SELECT item, after FROM decisions WHERE test_id = ? AND kind = 'conflict'",
            (test_id,),
        )
        return {str(item).split(":", 1)[1]: str(after) for item, after in rows}

    def add_alias(self, con: sqlite3.Connection, test_id: str, identity: str, teacher: str) -> None:
        """Whom an identity the roster did not know stands for (a reviewer said so)."""
        con.execute(
            "INSERT OR REPLACE INTO aliases(test_id, identity, teacher_id) VALUES (?,?,?)",
            (test_id, identity, teacher),
        )

    def aliases(self, test_id: str) -> dict[str, str]:
        rows = self.con.execute(
            "SELECT identity, teacher_id FROM aliases WHERE test_id = ?", (test_id,)
        )
        return {str(i): str(t) for i, t in rows}

    def double_marks(self, test_id: str) -> str:
        """Two clear marks on a one-answer task: ``wrong`` (scored wrong, nobody asked) or
        ``review`` (each goes to the review queue)."""
        row = self.con.execute("SELECT double_marks FROM tests WHERE id = ?", (test_id,)).fetchone()
        return str(row[0]) if row else "wrong"

    def attempts(self, test_id: str) -> list[StoredAttempt]:
        """Every attempt of a test, in import order."""
        rows = self.con.execute(
            "SELECT id, teacher_id, channel, format, source_file, source_sha256, locator, "
            "imported_at, taken_at, form, sheet_page, answers, states, flags, marks, "
            "state_codes FROM attempts WHERE test_id = ? ORDER BY id",
            (test_id,),
        ).fetchall()
        return [
            StoredAttempt(
                id=r[0],
                teacher_id=r[1],
                channel=r[2],
                format=r[3],
                source_file=r[4],
                source_sha256=r[5],
                locator=r[6],
                imported_at=r[7],
                taken_at=r[8],
                form=r[9],
                sheet_page=r[10],
                answers=json.loads(r[11]),
                states=json.loads(r[12]),
                flags=json.loads(r[13]),
                marks=r[14],
                state_codes=r[15],
            )
            for r in rows
        ]

    # -- overrides ---------------------------------------------------------------------
    def add_override(
        self,
        con: sqlite3.Connection,
        test_id: str,
        teacher_id: str,
        question: int,
        before: str,
        after: str,
        who: str,
        why: str,
    ) -> Override:
        at = now_utc()
        cur = con.execute(
            "INSERT INTO overrides(test_id, teacher_id, question, before, after, who, at, why) "
            "VALUES (?,?,?,?,?,?,?,?)",
            (test_id, teacher_id, question, before, after, who, at, why),
        )
        return Override(
            int(cur.lastrowid or 0), test_id, teacher_id, question, before, after, who, at, why
        )

    def overrides(self, test_id: str) -> list[Override]:
        rows = self.con.execute(
            "SELECT id, test_id, teacher_id, question, before, after, who, at, why "
            "FROM overrides WHERE test_id = ? ORDER BY id",
            (test_id,),
        ).fetchall()
        return [Override(*r) for r in rows]


def _current_version(con: sqlite3.Connection) -> int | None:
    """The schema version, read without taking the write lock (``None``: no store yet)."""
    has = con.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if not has:
        return None
    row = con.execute("SELECT version FROM schema_version").fetchone()
    return int(row[0]) if row else None


def _migrate(con: sqlite3.Connection, path: Path) -> None:
    # Opening an up-to-date store takes no lock: readers (the review, reports) open it while
    # an import writes.
    if _current_version(con) == SCHEMA_VERSION:
        return
    con.execute("BEGIN IMMEDIATE")
    try:
        con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = con.execute("SELECT version FROM schema_version").fetchone()
        current = row[0] if row else 0
        if current > SCHEMA_VERSION:
            raise StoreError(
                tr(
                    "store schema version {current} is newer than this tool's {SCHEMA_VERSION}",
                    current=current,
                    SCHEMA_VERSION=SCHEMA_VERSION,
                ),
                where=str(path),
                hint=tr("upgrade the tool"),
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[version - 1](con)
        if row is None:
            con.execute("INSERT INTO schema_version(version) VALUES (?)", (SCHEMA_VERSION,))
        else:
            con.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


@contextmanager
def open_store(
    path: str | Path | None = None, *, create: bool = True, wait_ms: int = BUSY_TIMEOUT_MS
) -> Iterator[Store]:
    """Open the store at ``path`` (see :func:`default_db_path`) and migrate it; a missing store
    is created only with ``create`` (a misspelt ``--db`` must not start an empty year).
    ``wait_ms``: how long to wait for another writer before giving up."""
    db = default_db_path(path)
    if db.parent and not db.parent.exists():
        raise StoreError(tr("folder of the store does not exist"), where=str(db))
    if not create and not db.exists():
        raise InputNotFound(
            tr("results store not found"),
            where=str(db),
            hint=tr(
                "check --db; a new store is made by `scoring roster import ROSTER` (or "
                "`scoring import --create`)"
            ),
        )
    try:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a transaction is exactly
        # one import and nothing is committed implicitly.
        con = sqlite3.connect(db, isolation_level=None, timeout=wait_ms / 1000)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=FULL")
        con.execute("PRAGMA foreign_keys=ON")
        _migrate(con, db)
    except sqlite3.DatabaseError as error:
        raise StoreError(
            tr("cannot open the store ({error})", error=error),
            where=str(db),
            hint=tr("is it an SQLite file written by `scoring`?"),
        ) from None
    try:
        yield Store(con, db)
    finally:
        con.close()
