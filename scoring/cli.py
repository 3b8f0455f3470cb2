"""``scoring``: the results store, imports, overrides and status. Thin: parse, call one
library function, print. (``scoring report`` lives in ``scoring.report`` and is added here.)"""

from __future__ import annotations

import getpass
import os
from collections import Counter
from pathlib import Path

import click

from common.cli import Group, Progress, handle_errors, test_package_option, verbose_option
from common.errors import DoneWithProblems, InputNotFound, NothingDone, ToolError
from common.i18n import mark, tr
from scoring.analysis import TestStatus, status_report
from scoring.distribution import (
    DISTRIBUTION_FILE,
    Distribution,
    load_school_contacts,
    plan_distribution,
    send_all,
    write_list,
    write_mail_dir,
)
from scoring.imports.base import FORMATS
from scoring.ingest import (
    ImportReport,
    RosterImport,
    add_override,
    import_files,
    import_roster,
    resolve_test_id,
)
from scoring.merge import ATTEMPT_CHOICES, PREFER_CHOICES
from scoring.options import db_option
from scoring.poll_report import write_poll_report
from scoring.polls import PollSummary, one_decimal, poll_status
from scoring.report.collect import collect
from scoring.review import Queue, apply_csv, build_queue, unresolved, write_export
from scoring.review_web import ReviewServer, check_host, serve
from scoring.store import default_db_path, open_store


@click.group(cls=Group)
@verbose_option
def main(verbose: bool) -> None:
    """Scoring: results store, imports of scans and online exports, reports."""


KIND_WORDS = (  # the review queue's kinds, shown as tr(kind)
    mark("question"),
    mark("double"),
    mark("page"),
    mark("respondent"),
    mark("refused"),
    mark("conflict"),
)


@main.group()
def roster() -> None:
    """The roster of teachers in the store."""


def format_roster(result: RosterImport) -> str:
    lines = [
        tr(
            "Roster: {new} new, {updated} updated, {unchanged} unchanged, {bad} bad row(s)",
            new=result.new,
            updated=result.updated,
            unchanged=result.unchanged,
            bad=len(result.problems),
        )
    ]
    lines += [f"  {p}" for p in result.problems]
    return "\n".join(lines)


@roster.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@db_option
@handle_errors
def roster_import(file: Path, db: Path | None) -> None:
    """Upsert the teachers of FILE (CSV: id,name,department,school,email)."""
    with open_store(db) as store:
        result = import_roster(store, file)
    click.echo(format_roster(result))
    if result.problems and result.new + result.updated + result.unchanged == 0:
        raise NothingDone(
            tr(
                "no teacher was imported: all {n_problems} row(s) are bad",
                n_problems=len(result.problems),
            )
        )
    if result.problems:
        raise DoneWithProblems(
            tr(
                "{n_problems} bad row(s) skipped; the rest was imported",
                n_problems=len(result.problems),
            ),
            hint=tr("fix those rows and import the file again"),
        )


def format_import(report: ImportReport) -> str:
    lines = []
    for f in report.files:
        if f.refused is not None:
            lines.append(tr("{file}: refused: {refused}", file=f.file, refused=f.refused))
            continue
        form = tr(", form {form}", form=f.form) if f.form else ""
        lines.append(
            tr(
                "{file} ({format}{form}): {new} new, {unchanged} unchanged, {n_problems} "
                "problem(s)",
                file=f.file,
                format=f.format,
                form=form,
                new=f.new,
                unchanged=f.unchanged,
                n_problems=len(f.problems),
            )
        )
        lines += [f"  {p}" for p in f.problems]
        lines += [tr("  note: {note}", note=n) for n in f.notes]
        lines += [f"  {m.describe()}" for m in f.matches if m.how != "e-mail"]
        by_email = [m for m in f.matches if m.how == "e-mail"]
        if by_email:
            pairs = ", ".join(f"{m.where.rsplit(': ', 1)[-1]} → {m.teacher_id}" for m in by_email)
            lines.append(
                tr(
                    "  matched by e-mail ({n_by_email}): {pairs}",
                    n_by_email=len(by_email),
                    pairs=pairs,
                )
            )
    if report.several:
        lines.append(
            tr("Several online attempts (--attempts {attempts}):", attempts=report.attempts)
        )
        lines += [f"  {s.describe()}" for s in report.several]
    if report.conflicts:
        lines.append(tr("Conflicts (live and remote, --prefer {prefer}):", prefer=report.prefer))
        lines += [f"  {c.describe()}" for c in report.conflicts]
    return "\n".join(lines)


def import_outcome(report: ImportReport) -> ToolError | None:
    """What the exit code says after the report: nothing imported, or some files refused or
    rows skipped (each listed above), or ``None`` when every row was imported."""
    if report.nothing_imported:
        return NothingDone(
            tr("nothing was imported"),
            hint=tr("see the problems above; check --test, the roster and the export"),
        )
    problems = sum(len(f.problems) for f in report.files)
    if report.refused or problems:
        parts = (
            [tr("{n} of {files} file(s) refused", n=len(report.refused), files=len(report.files))]
            if report.refused
            else []
        )
        parts += [tr("{n} row(s) skipped or held for review", n=problems)] if problems else []
        return DoneWithProblems(
            ", ".join(parts) + tr("; the rest was imported"), hint=tr("see above")
        )
    return None


@main.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@test_package_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", *FORMATS]),
    default="auto",
    show_default=True,
    help="Export format.",
)
@click.option(
    "--prefer",
    type=click.Choice(PREFER_CHOICES),
    default=None,
    help="Which result counts when a teacher has live and remote ones [default: live].",
)
@click.option(
    "--attempts",
    "--attempt-policy",
    "attempts",
    type=click.Choice(ATTEMPT_CHOICES),
    default=None,
    help="Which of a teacher's online attempts counts, kept for the test: the first "
    "finished one, the last, or the highest scored (Moodle's default) [default: first].",
)
@click.option(
    "--form",
    default=None,
    help="Form the online test was built from: A, B or V<n> [default: detected from the "
    "answer texts; A for letter-only exports].",
)
@db_option
@click.option(
    "--create", is_flag=True, help="Make the store if it does not exist yet (no roster in it)."
)
@handle_errors
def import_cmd(
    files: tuple[Path, ...],
    test: Path,
    fmt: str,
    prefer: str | None,
    attempts: str | None,
    form: str | None,
    db: Path | None,
    create: bool,
) -> None:
    """Import result FILES (omr results.jsonl, Moodle, Google Forms, MS Forms, CSV/XLSX)."""

    def progress(event: str, file: str, done: int) -> None:
        if event == "file":
            click.echo(tr("  importing {file}", file=file), err=True)

    with open_store(db, create=create) as store:
        report = import_files(
            store,
            list(files),
            test,
            fmt=fmt,
            prefer=prefer,
            attempts=attempts,
            form=form,
            progress=progress,
        )
    click.echo(format_import(report))
    failure = import_outcome(report)
    if failure is not None:
        raise failure


@main.command()
@click.option("--test", "test", required=True, help="Test id or test package folder.")
@click.option("--teacher", required=True, help="Teacher ID.")
@click.option("--question", required=True, type=int, help="Printed question number.")
@click.option("--answer", required=True, help="Printed letter(s), or - for none.")
@click.option("--reason", required=True, help="Why (kept in the audit trail).")
@click.option("--by", "who", default=None, help="Who decides [default: the login name].")
@db_option
@handle_errors
def override(
    test: str,
    teacher: str,
    question: int,
    answer: str,
    reason: str,
    who: str | None,
    db: Path | None,
) -> None:
    """Set a teacher's answer to one question by hand (audited; survives re-imports)."""
    with open_store(db, create=False) as store:
        ov = add_override(store, test, teacher, question, answer, reason, who or getpass.getuser())
    after = ov.after or "none"
    before = ov.before or "none"
    click.echo(
        tr(
            "Override {id}: test {test_id}, teacher {teacher_id}, question "
            "{question}: {before} -> {after} by {who} ({why})",
            id=ov.id,
            test_id=ov.test_id,
            teacher_id=ov.teacher_id,
            question=ov.question,
            before=before,
            after=after,
            who=ov.who,
            why=ov.why,
        )
    )


def format_status(st: TestStatus, queue: Queue | None = None) -> str:
    lines = [
        tr(
            "Test {test_id} ({department}): {results} result(s) ({live} live, {remote} remote) "
            "of {roster} teacher(s) in the roster; {overrides} override(s)",
            test_id=st.test_id,
            department=st.department,
            results=st.results,
            live=st.live,
            remote=st.remote,
            roster=st.roster,
            overrides=st.overrides,
        ),
        tr("Missing ({n}):", n=len(st.missing)),
    ]
    lines += [f"  {t.id} {t.name} ({t.school})" for t in st.missing]
    lines.append(tr("Flagged ({n_flagged}):", n_flagged=len(st.flagged)))
    lines += [f"  {f.describe()}" for f in st.flagged]
    lines.append(tr("Conflicts ({n_conflicts}):", n_conflicts=len(st.conflicts)))
    lines += [f"  {c.describe()}" for c in st.conflicts]
    if st.outside_department:
        lines.append(
            tr("Results of teachers of another department: ") + ", ".join(st.outside_department)
        )
    sheets = [i for i in queue.open if i.kind in ("respondent", "refused")] if queue else []
    if sheets:
        lines.append(tr("Sheets and rows without a result yet ({n_sheets}):", n_sheets=len(sheets)))
        lines += [f"  {i.source}: {i.reason}" for i in sheets]
    if queue is not None:
        kinds = Counter(i.kind for i in queue.open)
        detail = ", ".join(f"{tr(k)} {v}" for k, v in sorted(kinds.items()))
        lines.append(
            tr(
                "Review queue: {n_open} open, {settled} settled",
                n_open=len(queue.open),
                settled=queue.settled,
            )
            + (f" ({detail})" if detail else "")
        )
    if (queue is not None and queue.open) or st.flagged or st.conflicts:
        lines.append(
            tr(
                "Next: settle what needs a person in the browser with `scoring review "
                "--test {test_id}` (offline: --export queue.csv, then --apply "
                "queue.csv), then `scoring report --test {test_id}`.",
                test_id=st.test_id,
            )
        )
    else:
        lines.append(tr("Next: `scoring report --test {test_id}`.", test_id=st.test_id))
    return "\n".join(lines)


def format_poll_status(summary: PollSummary) -> str:
    lines = [
        tr(
            "Poll {poll}: {n} response(s); {unknown} without a department",
            poll=summary.poll_id,
            n=summary.responses,
            unknown=summary.unknown_department,
        )
    ]
    lines += [f"  {code}: {count}" for code, count in sorted(summary.by_department.items())]
    lines.append(tr("Review queue: {n_open} open", n_open=summary.open_items))
    if summary.open_items:
        lines.append(
            tr(
                "Next: settle the rows in doubt with `scoring review --test {poll}`, then "
                "`scoring poll-report --poll {poll}`.",
                poll=summary.poll_id,
            )
        )
    else:
        lines.append(tr("Next: `scoring poll-report --poll {poll}`.", poll=summary.poll_id))
    return "\n".join(lines)


@main.command()
@click.option("--test", "test", required=True, help="Test id or test package folder.")
@db_option
@handle_errors
def status(test: str, db: Path | None) -> None:
    """Roster vs results of a test: who is missing, flagged or conflicting (for a poll: the
    responses per department and the rows in doubt)."""
    with open_store(db, create=False) as store:
        test_id = resolve_test_id(store, test)
        if store.is_poll(test_id):
            click.echo(format_poll_status(poll_status(store, test_id)))
            return
        click.echo(format_status(status_report(store, test_id), build_queue(store, test_id)))


@main.command("poll-report")
@click.option("--poll", "poll", required=True, help="Poll id or poll package folder.")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("reports"),
    show_default=True,
    help="Folder for the reports; they go into <out>/<poll-id>/ and <out>/site/polls/.",
)
@click.option(
    "--show-small",
    is_flag=True,
    help="Show departments with fewer than 5 respondents in their own column.",
)
@click.option(
    "--compare",
    default=None,
    help="Earlier poll to compare with [default: the latest earlier "
    "year's poll in the store with the same parameters].",
)
@db_option
@handle_errors
def poll_report(
    poll: str, out: Path, show_small: bool, compare: str | None, db: Path | None
) -> None:
    """Write a poll's Table 3 (parameters x departments, respondents, means, overall level),
    a chart per parameter and the comparison with an earlier year: PDF, HTML, CSV, XLSX."""
    with open_store(db, create=False) as store:
        poll_id = resolve_test_id(store, poll)
        table, files = write_poll_report(
            store, poll_id, out, show_small=show_small, compare=compare
        )
    click.echo(
        tr(
            "Poll {poll}: {n} respondent(s), overall level {level} % -> {folder}",
            poll=poll_id,
            n=table.respondents.get("total", 0),
            level=one_decimal(table.level.get("total")),
            folder=files[0].parent,
        )
    )
    for path in files:
        click.echo(f"  {path}")
    if table.open_items:
        click.echo(
            tr(
                "Preliminary: {n} row(s) wait in `scoring review --test {poll}`",
                n=table.open_items,
                poll=poll_id,
            ),
            err=True,
        )


@main.command()
@click.option("--test", "test", required=True, help="Test id or test package folder.")
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--token",
    default=None,
    help="Access token (any --host other than this machine needs one; made when not given).",
)
@click.option(
    "--export",
    "export_to",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the open items to this CSV instead of serving (fill its decision column).",
)
@click.option(
    "--apply",
    "apply_from",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Apply the decisions of an exported CSV instead of serving.",
)
@click.option("--by", "who", default=None, help="Reviewer for --apply [default: login name].")
@click.option(
    "--double-marks",
    type=click.Choice(["wrong", "review"]),
    default=None,
    help="Policy for two clear marks on a one-answer task, kept with the test: scored wrong "
    "(default), or each one reviewed.",
)
@handle_errors
def review(
    test: str,
    db: Path | None,
    host: str,
    port: int,
    token: str | None,
    export_to: Path | None,
    apply_from: Path | None,
    who: str | None,
    double_marks: str | None,
) -> None:
    """Settle everything that needs a person (questions in doubt, unknown respondents, refused
    sheets, live/remote conflicts) in a browser, or offline through a CSV."""
    with open_store(db, create=False) as store:
        test_id = resolve_test_id(store, test)
        if not store.is_poll(test_id):
            store.manifest(test_id)  # a clear line for a test that is not in the store
        if double_marks is not None:
            with store.write() as con:
                store.set_rules(con, test_id, double_marks=double_marks)
        if export_to is not None:
            queue = build_queue(store, test_id)
            write_export(queue, export_to)
            click.echo(
                tr(
                    "Wrote {n_open} open item(s) of {test_id} to {export_to}",
                    n_open=len(queue.open),
                    test_id=test_id,
                    export_to=export_to,
                )
            )
            return
        if apply_from is not None:
            if not apply_from.is_file():
                raise InputNotFound(tr("decisions file not found"), where=str(apply_from))
            applied = apply_csv(store, test_id, apply_from, who or getpass.getuser())
            for line in applied.problems:
                click.echo(f"  {line}")
            left = unresolved(store, test_id)
            click.echo(
                tr(
                    "Applied {n_applied} decision(s) to {test_id}; {n_problems} refused; "
                    "{left} item(s) still open",
                    n_applied=len(applied.applied),
                    test_id=test_id,
                    n_problems=len(applied.problems),
                    left=left,
                )
            )
            if applied.problems and not applied.applied:
                raise NothingDone(
                    tr(
                        "none of {n_problems} decision(s) was applied",
                        n_problems=len(applied.problems),
                    )
                )
            if applied.problems:
                raise DoneWithProblems(
                    tr(
                        "{n_problems} decision(s) were not applied",
                        n_problems=len(applied.problems),
                    ),
                    hint=tr("see above"),
                )
            return
        open_items = unresolved(store, test_id)
    needed = check_host(host, token)
    server = ReviewServer(default_db_path(db), test_id, needed)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{shown}:{port}/" + (f"?token={needed}" if needed else "")
    click.echo(
        tr(
            "Review of {test_id}: {open_items} item(s) open. Open {url} (Ctrl-C to stop)",
            test_id=test_id,
            open_items=open_items,
            url=url,
        )
    )
    serve(server, host, port)


def _distribution(
    test: str, db: Path | None, reports: Path, schools: Path | None, packs: Path | None
) -> Distribution:
    contacts = load_school_contacts(schools) if schools is not None else None
    return plan_distribution(collect(db, test), reports, contacts, packs)


def format_distribution(plan: Distribution) -> str:
    teachers = sum(d.kind == "teacher" for d in plan.deliveries)
    lines = [
        tr(
            "{test}: {n} message(s): {teachers} to teachers, {schools} to school "
            "administrators; {problems} problem(s)",
            test=plan.test_id,
            n=len(plan.deliveries),
            teachers=teachers,
            schools=len(plan.deliveries) - teachers,
            problems=len(plan.problems),
        )
    ]
    lines += [f"  {p}" for p in plan.problems]
    return "\n".join(lines)


_schools_option = click.option(
    "--schools",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="CSV/XLSX of the schools' administrators (school, email[, name]).",
)
_reports_option = click.option(
    "--reports",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("reports"),
    show_default=True,
    help="The folder `scoring report --out` wrote.",
)
_packs_option = click.option(
    "--packs",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Send the schools their packs from this folder (`scoring packs --out`) instead of "
    "the test's school extracts.",
)
_sender_option = click.option(
    "--from", "sender", default="monitoring@localhost", show_default=True, help="Sender address."
)


@main.command()
@click.option("--test", "test", required=True, help="Test id or test package folder.")
@_reports_option
@_schools_option
@_packs_option
@click.option(
    "--mail-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Also write one RFC 5322 message (.eml, file attached) per recipient here.",
)
@_sender_option
@db_option
@handle_errors
def distribute(
    test: str,
    reports: Path,
    schools: Path | None,
    packs: Path | None,
    mail_dir: Path | None,
    sender: str,
    db: Path | None,
) -> None:
    """List who gets which report (reports/<test>/distribution.csv): each teacher their PDF,
    each school's administrators the school's extract; with --mail-dir, the messages too."""
    plan = _distribution(test, db, reports, schools, packs)
    listed = reports / plan.test_id / DISTRIBUTION_FILE
    write_list(plan, listed)
    click.echo(format_distribution(plan))
    click.echo(tr("  list: {path}", path=listed))
    if mail_dir is not None:
        written = write_mail_dir(plan, mail_dir, sender)
        click.echo(tr("  {n} message(s) in {folder}", n=len(written), folder=mail_dir))
    if plan.problems:
        raise DoneWithProblems(
            tr("{n} recipient(s) cannot be sent their file", n=len(plan.problems)),
            hint=tr("see the list above"),
        )


@main.command()
@click.option("--test", "test", required=True, help="Test id or test package folder.")
@_reports_option
@_schools_option
@_packs_option
@click.option("--smtp", required=True, metavar="HOST[:PORT]", help="The mail server.")
@click.option("--send", "really", is_flag=True, help="Send (without it: only say what).")
@click.option("--starttls", is_flag=True, help="Use STARTTLS.")
@click.option("--user", default=None, help="SMTP login (password from MONITORING_SMTP_PASSWORD).")
@_sender_option
@db_option
@handle_errors
def send(
    test: str,
    reports: Path,
    schools: Path | None,
    packs: Path | None,
    smtp: str,
    really: bool,
    starttls: bool,
    user: str | None,
    sender: str,
    db: Path | None,
) -> None:
    """Send every teacher their report and every school its extract by e-mail. A dry run
    unless --send is given."""
    plan = _distribution(test, db, reports, schools, packs)
    click.echo(format_distribution(plan))
    if not really:
        for d in plan.deliveries:
            click.echo(f"  {d.email}: {', '.join(f.name for f in d.files)}")
        click.echo(tr("Dry run: nothing was sent; add --send to send through {smtp}.", smtp=smtp))
        return
    with Progress(mark("sending"), mark("message")) as progress:
        result = send_all(
            plan, smtp, sender, starttls=starttls, user=user,
            password=os.environ.get("MONITORING_SMTP_PASSWORD"), progress=progress,
        )  # fmt: skip
    click.echo(tr("Sent {n} message(s) through {smtp}", n=len(result.sent), smtp=smtp))
    for line in result.failed:
        click.echo(f"  {line}")
    if result.failed and not result.sent:
        raise NothingDone(tr("no message was sent"))
    if result.failed or plan.problems:
        raise DoneWithProblems(
            tr(
                "{n} message(s) not sent, {m} recipient(s) without a file or address",
                n=len(result.failed),
                m=len(plan.problems),
            )
        )


# ``scoring report`` is defined with the report package it drives.
from scoring.report.cli import packs_command, report_command, site_command  # noqa: E402

main.add_command(report_command)
main.add_command(site_command)
main.add_command(packs_command)


if __name__ == "__main__":
    main()
