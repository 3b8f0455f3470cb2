"""The review station driven as a person drives it: the real server (uvicorn, in a thread) and
a real headless Chromium through Playwright. `.ci/run` installs Debian's chromium; without it
these tests are skipped on a workstation and fail in CI."""

from __future__ import annotations

import json
import os
import sqlite3
import urllib.error
import urllib.request
from pathlib import Path

import cv2
import numpy as np
import pytest
from scoring_helpers import merged_rows, sheet_line

from scoring.ingest import import_files
from scoring.review import unresolved
from scoring.review_web import ReviewServer
from scoring.store import Store
from testkit.browser import BROWSER_ARGS, chromium_path, serving

TEST = "math-2026-acc"
CHROMIUM = chromium_path()
if CHROMIUM is None and os.environ.get("CI"):
    raise RuntimeError("CI must have chromium for the review station's tests (.ci/run installs it)")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")


def _with_evidence(line: str, evidence: dict[str, str]) -> str:
    record = json.loads(line)
    record["evidence"] = evidence
    return json.dumps(record, ensure_ascii=False)


@pytest.fixture
def session(store: Store, test_dir: Path, tmp_path: Path) -> Path:
    """A small session with one item of every kind and crops on disk; returns the store."""
    out = tmp_path / "results"
    (out / "crops").mkdir(parents=True)
    row = np.full((96, 420), 255, np.uint8)
    for k in range(4):
        cv2.circle(row, (60 + k * 90, 48), 26, 0, 2)
    cv2.circle(row, (150, 48), 20, 90, -1)
    cv2.imwrite(str(out / "crops" / "s2-q2.png"), row)
    lines = [
        sheet_line(TEST, 1, "100001", ["A", "D", "AC", "C"], file="s1.png"),
        _with_evidence(
            sheet_line(TEST, 2, "100002", ["C", "?", "AB", "A"], file="s2.png",
                       flags=("q2: unclear mark (B)",)),
            {"q2": "crops/s2-q2.png", "page": "annotated/missing.jpg"},
        ),
        sheet_line(TEST, 1, "999999", ["A", "D", "AC", "C"], file="s4.png"),
        sheet_line(TEST, 1, "100003", [], file="s5.png", status="refused"),
        sheet_line(TEST, 1, "100004", ["A", "D", "AC", ""], file="s6.png",
                   flags=("1-bit scan: pencil may be lost - rescan in greyscale",)),
    ]  # fmt: skip
    (out / "results.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    online = tmp_path / "online.csv"
    online.write_text("id,variant,1,2,3,4\n100001,1,A,A,AC,C\n", encoding="utf-8")
    import_files(store, [out / "results.jsonl", online], test_dir)
    return store.path


@pytest.fixture
def browser():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield launched
        launched.close()


def _start(page, url: str, name: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url)
    page.fill("#name", name)
    page.press("#name", "Enter")
    page.wait_for_selector("#name-form", state="hidden")


def _progress(page) -> str:  # type: ignore[no-untyped-def]
    return str(page.text_content("#progress"))


def test_a_queue_is_settled_from_the_keyboard(session: Path, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with serving(ReviewServer(session, TEST)) as url:
        page = browser.new_page()
        _start(page, url, "Вера Олеговна")
        assert _progress(page) == "0 of 5 settled"
        for done in range(1, 6):
            kind = page.get_attribute("#card", "data-kind")
            key = page.get_attribute("#card", "data-key")
            if kind == "question":
                # the crop is served, the missing page picture is a placeholder
                images = page.locator("#card img")
                assert images.count() == 2
                src = images.nth(1).get_attribute("src")
                with urllib.request.urlopen(url + src) as reply:
                    assert b"scan file not found" in reply.read()
                # a Russian layout sends the Cyrillic letter: В reads as B
                page.evaluate(
                    "document.dispatchEvent("
                    "new KeyboardEvent('keydown', {key: 'в', bubbles: true}))"
                )
                assert page.text_content("#answer") == "B"
                page.keyboard.press("Enter")
            elif kind == "conflict":
                page.keyboard.press("r")
                page.keyboard.press("Enter")
            elif kind == "page":
                page.keyboard.press("Enter")
            elif kind == "respondent":
                assert "999999" in str(page.text_content("#card"))
                page.fill("#search", "smith")
                page.wait_for_selector("#results li")
                page.press("#search", "Enter")
            else:
                assert kind == "refused"
                page.fill("#byhand", "100003 1 AD-C")
                page.press("#byhand", "Enter")
            page.wait_for_function(
                f"document.getElementById('progress').textContent === '{done} of 5 settled'"
            )
            assert page.get_attribute("#card", "data-key") != key or done == 5
        page.wait_for_selector("#done", state="visible")
        assert "scoring report --test math-2026-acc" in str(page.text_content("#done"))
    from scoring.store import open_store

    with open_store(session, create=False) as store:
        rows = merged_rows(store)
        assert rows["100002"][1][1] == "B"
        assert rows["100001"][1] == ("A", "A", "AC", "C")  # the remote result was chosen
        assert rows["100005"][1] == ("A", "D", "AC", "C")  # the unknown sheet, assigned
        assert rows["100003"][1] == ("A", "D", "", "C")  # the refused sheet, read by hand
        assert unresolved(store, TEST) == 0
        assert {d.who for d in store.decisions(TEST)} == {"Вера Олеговна"}


def test_undo_and_back(session: Path, browser) -> None:  # type: ignore[no-untyped-def]
    with serving(ReviewServer(session, TEST)) as url:
        page = browser.new_page()
        _start(page, url, "Глеб")
        first = page.get_attribute("#card", "data-key")
        page.keyboard.press("Backspace")  # at the first item, back stays there
        assert page.get_attribute("#card", "data-key") == first
        while page.get_attribute("#card", "data-kind") != "question":
            page.keyboard.press("ArrowDown")  # not a key of the page: nothing happens
            page.click("#queue li:nth-child(2)")
        page.keyboard.press("c")
        page.keyboard.press("Enter")
        page.wait_for_function(
            "document.getElementById('progress').textContent === '1 of 5 settled'"
        )
        assert page.get_attribute("#card", "data-kind") == "respondent"  # its search box has focus
        page.keyboard.press("Alt+u")
        page.wait_for_function("document.getElementById('message').textContent.includes('undone')")
        # the item is open again, the audit keeps the decision marked undone
        assert _progress(page).startswith("0 of ")
        assert page.get_attribute("#card", "data-kind") == "question"


def test_two_reviewers_on_one_item(session: Path, browser) -> None:  # type: ignore[no-untyped-def]
    with serving(ReviewServer(session, TEST)) as url:
        one, two = browser.new_page(), browser.new_page()
        _start(one, url, "Анна")
        _start(two, url, "Борис")
        key = one.get_attribute("#card", "data-key")
        assert two.get_attribute("#card", "data-key") == key
        kind = one.get_attribute("#card", "data-kind")
        assert kind == "page"  # the most doubtful item: a 1-bit pencil page
        one.keyboard.press("Enter")
        one.wait_for_function(
            "document.getElementById('progress').textContent === '1 of 5 settled'"
        )
        two.keyboard.press("Enter")
        two.wait_for_function(
            "document.getElementById('message').textContent.includes('already settled by Анна')"
        )
        # the second reviewer's page now shows the queue as it is
        assert two.get_attribute("#card", "data-key") != key
        assert _progress(two) == "1 of 5 settled"


def test_a_non_local_server_wants_its_token_and_posts_their_csrf(session: Path) -> None:
    server = ReviewServer(session, TEST, token="s3cret-token")
    with serving(server) as url:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url + "/")
        assert refused.value.code == 403
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url + "/api/queue?token=wrong")
        assert refused.value.code == 403
        with urllib.request.urlopen(url + "/?token=s3cret-token") as reply:
            assert reply.status == 200 and "review_token" in reply.headers.get("set-cookie", "")
        body = json.dumps({"key": "q:100002:2", "value": "B", "who": "x"}).encode()
        post = urllib.request.Request(
            url + "/api/decide?token=s3cret-token", body, {"Content-Type": "application/json"}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(post)
        assert refused.value.code == 403  # no CSRF token
        post.add_header("X-CSRF-Token", server.csrf)
        with urllib.request.urlopen(post) as reply:
            assert json.loads(reply.read())["settled"] == 1


def test_a_store_locked_by_an_import_answers_retry(session: Path) -> None:
    server = ReviewServer(session, TEST)
    with serving(server) as url:
        writer = sqlite3.connect(session, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        try:
            body = json.dumps({"key": "q:100002:2", "value": "B", "who": "x"}).encode()
            post = urllib.request.Request(
                url + "/api/decide",
                body,
                {"Content-Type": "application/json", "X-CSRF-Token": server.csrf},
            )
            with pytest.raises(urllib.error.HTTPError) as busy:
                urllib.request.urlopen(post)
            assert busy.value.code == 503
            answer = json.loads(busy.value.read())
            assert answer["retry"] is True and "busy" in answer["error"]
        finally:
            writer.execute("ROLLBACK")
            writer.close()
        with urllib.request.urlopen(post) as reply:
            assert json.loads(reply.read())["settled"] == 1


def test_the_page_speaks_russian(  # type: ignore[no-untyped-def]
    session: Path, browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONITORING_LANG", "ru")
    with serving(ReviewServer(session, TEST)) as url:
        page = browser.new_page()
        page.goto(url)
        assert page.get_attribute("html", "lang") == "ru"
        assert "Ваше имя" in str(page.text_content("#name-form"))
        _start(page, url, "Вера Олеговна")
        assert str(page.text_content("h1")).startswith("Проверка")
        assert _progress(page) == "решено 0 из 5"
        assert "Клавиши" in str(page.text_content("aside"))
        heading = str(page.text_content("#card h2"))
        kinds = ("вопрос", "две отметки", "страница", "участник", "отклонён", "расхождение")
        assert heading.startswith(kinds), heading
        page.keyboard.press("Enter")  # nothing chosen yet: the hint is Russian
        if page.get_attribute("#card", "data-kind") != "page":
            assert "сначала выберите" in str(page.text_content("#message"))
        for line in page.inner_text("body").splitlines():
            assert "settled" not in line and "Queue" not in line, line


def test_a_poll_row_is_settled_by_typing_the_rating(  # type: ignore[no-untyped-def]
    store: Store, tmp_path: Path, browser
) -> None:
    import hashlib

    from omr.results import QuestionRead, SheetResult, SourceRef
    from testgen.poll import build_poll, parse_poll

    rows = [{"number": "1", "text": "Активность"}, {"number": "2", "text": "Мотивация"}]
    spec = {"kind": "poll", "id": "poll-2026", "year": 2026, "title": "Опрос",
            "sections": [{"parameters": rows}]}  # fmt: skip
    package = tmp_path / "poll"
    build_poll(parse_poll(spec), b"spec", package)
    questions = [
        QuestionRead(position=1, state="multiple", letters="GH",
                     fills=[0.9 if k in (6, 7) else 0.0 for k in range(10)]),
        QuestionRead(position=2, state="marked", letters="C",
                     fills=[0.9 if k == 2 else 0.0 for k in range(10)]),
        QuestionRead(position=3, state="marked", letters="A", fills=[0.9, 0, 0, 0, 0]),
    ]  # fmt: skip
    record = SheetResult(
        source=SourceRef(file="p.png", page=1, sha256=hashlib.sha256(b"p").hexdigest()),
        status="flagged", test_id="poll-2026", variant=1, sheet_page=1, layout_hash="x",
        questions=questions,
    )  # fmt: skip
    results = tmp_path / "results.jsonl"
    results.write_text(record.model_dump_json() + "\n", encoding="utf-8")
    import_files(store, [results], package)
    with serving(ReviewServer(store.path, "poll-2026")) as url:
        page = browser.new_page()
        _start(page, url, "Вера Олеговна")
        assert _progress(page) == "0 of 1 settled"
        assert "7, 8" in str(page.text_content("#card"))  # the two marks, as scale values
        page.keyboard.press("0")  # 0 is 10
        assert page.text_content("#answer") == "10"
        page.keyboard.press("8")
        assert page.text_content("#answer") == "8"
        page.keyboard.press("Enter")
        page.wait_for_selector("#done", state="visible")
    (response,) = store.poll_responses("poll-2026")
    assert response.ratings == [8, 3] and response.department == "mathematics"
