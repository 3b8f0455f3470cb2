"""The review station: a small local web server over :mod:`scoring.review`.

Server-rendered page (Jinja2), a little plain JavaScript (``static/review.js``), no build
step. Every request opens the store itself (SQLite handles several readers and one writer),
so several reviewers can work at once; the store refuses a second decision on an item.

Security: the server binds 127.0.0.1 unless told otherwise; on any other host every request
needs the token printed in the URL (kept in a cookie after the first page). Every POST carries
the page's CSRF token. Pictures are served by id only, from the paths the store recorded: no
part of a request names a file.
"""

from __future__ import annotations

import contextlib
import hmac
import secrets
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import escape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from common.errors import StoreError, ToolError
from common.i18n import current_language, tr
from scoring.review import Queue, build_queue, settle, undo
from scoring.store import AlreadyDecided, open_store

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
TOKEN_COOKIE = "review_token"
# a reviewer should not stare at a frozen page while an import writes: give up soon, the
# page retries every second
WAIT_MS = 1500
PLACEHOLDER = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="480" height="90">'
    '<rect width="100%" height="100%" fill="#eee"/>'
    '<text x="20" y="52" font-family="sans-serif" font-size="16" fill="#555">'
    "scan file not found: settle from the fills</text></svg>"
)


@dataclass
class ReviewServer:
    """What the app needs: the store, the test, the tokens; pictures known so far."""

    db: Path
    test_id: str
    token: str | None = None  # required on a non-local host
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    pictures: dict[str, Path] = field(default_factory=dict)

    def queue(self) -> Queue:
        with open_store(self.db, create=False, wait_ms=WAIT_MS) as store:
            queue = build_queue(store, self.test_id)
        self.pictures.update(queue.pictures)
        return queue


def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("scoring", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def page_strings() -> dict[str, str]:
    """What the page's script shows, in the current language; ``{name}`` fields are filled by
    the script."""
    return {
        "question": tr("question"),
        "double": tr("double"),
        "page": tr("page"),
        "respondent": tr("respondent"),
        "refused": tr("refused"),
        "conflict": tr("conflict"),
        "live": tr("live"),
        "remote": tr("remote"),
        "blank": tr("blank"),
        "answers": tr("answers"),
        "scan_of": tr("scan of {source}"),
        "q": tr("q{n}"),
        "question_n": tr("question {n}"),
        "now": tr("now: {reading}; letters {options}"),
        "several": tr(" (several allowed)"),
        "page_hint": tr("Enter: the reading stands. Alt+R: set the page aside for a rescan."),
        "search": tr("teacher name or ID"),
        "whose": tr("Whose sheet is it? "),
        "assign_hint": tr("Enter assigns the highlighted teacher; Alt+R sets the sheet aside."),
        "byhand_example": tr("TEACHER VARIANT ANSWERS, e.g. 100001 3 ABD-C"),
        "byhand": tr("Read by hand: "),
        "variants_hint": tr("variants {variants}; one letter or - per question. Alt+R: rescan."),
        "progress": tr("{settled} of {total} settled"),
        "reviewer": tr("reviewer: {name}"),
        "no_answer": tr("no answer from the server"),
        "busy": tr("the store stayed busy; try again"),
        "nothing_to_undo": tr("nothing of yours to undo"),
        "undone": tr("{key}: undone"),
        "choose": tr("choose first: a letter, Space for blank"),
        "or_lr": tr(", or L / R"),
    }


def _busy(error: StoreError) -> JSONResponse:
    return JSONResponse(
        {
            "error": tr("the store is busy ({message}); retrying", message=error.message),
            "retry": True,
        },
        status_code=503,
    )


def _summary(queue: Queue) -> dict[str, Any]:
    return {
        "items": [i.model_dump(mode="json") for i in queue.open],
        "settled": queue.settled,
        "total": len(queue.items),
    }


def create_app(server: ReviewServer) -> Starlette:
    """The review app for one test of one store."""
    env = _templates()

    def allowed(request: Request) -> bool:
        if server.token is None:
            return True
        given = request.query_params.get("token") or request.cookies.get(TOKEN_COOKIE) or ""
        return hmac.compare_digest(given, server.token)

    def guard(request: Request) -> Response | None:
        if not allowed(request):
            return Response(tr("a token is needed: open the URL the server printed"), 403)
        if request.method == "POST":
            sent = request.headers.get("x-csrf-token", "")
            if not hmac.compare_digest(sent, server.csrf):
                return JSONResponse({"error": tr("the page is out of date: reload it")}, 403)
        return None

    def page(request: Request) -> Response:
        if (refused := guard(request)) is not None:
            return refused
        try:
            queue = server.queue()
        except StoreError as error:
            return HTMLResponse(
                tr("<p>{message}: reload in a moment</p>", message=escape(error.message)), 503
            )
        html = env.get_template("review.html").render(
            test_id=server.test_id,
            csrf=server.csrf,
            data=_summary(queue),
            tr=tr,
            lang=current_language(),
            strings=page_strings(),
        )
        response = HTMLResponse(html)
        if server.token is not None:
            response.set_cookie(TOKEN_COOKIE, server.token, httponly=True, samesite="strict")
        return response

    def queue_json(request: Request) -> Response:
        if (refused := guard(request)) is not None:
            return refused
        try:
            return JSONResponse(_summary(server.queue()))
        except StoreError as error:
            return _busy(error)

    async def decide(request: Request) -> Response:
        if (refused := guard(request)) is not None:
            return refused
        body = await request.json()
        if not isinstance(body, dict):
            return JSONResponse({"error": tr("expected a JSON object")}, 400)
        try:
            with open_store(server.db, create=False, wait_ms=WAIT_MS) as store:
                if body.get("undo"):
                    undo(store, server.test_id, str(body.get("key", "")), str(body.get("who", "")))
                    outcome_ms, note = 0.0, "undone"
                else:
                    outcome = settle(
                        store,
                        server.test_id,
                        str(body.get("key", "")),
                        str(body.get("value", "")),
                        str(body.get("who", "")),
                        str(body.get("why", "")),
                    )
                    outcome_ms, note = outcome.seconds * 1000, outcome.note
                queue = build_queue(store, server.test_id)
        except AlreadyDecided as error:
            return JSONResponse({"error": str(error), "taken": True}, 409)
        except StoreError as error:
            return _busy(error)
        except ToolError as error:
            return JSONResponse({"error": str(error)}, 400)
        server.pictures.update(queue.pictures)
        response = JSONResponse({**_summary(queue), "note": note, "ms": round(outcome_ms, 1)})
        response.headers["Server-Timing"] = f"decide;dur={outcome_ms:.1f}"
        return response

    def teachers(request: Request) -> Response:
        if (refused := guard(request)) is not None:
            return refused
        text = request.query_params.get("q", "").strip().casefold().replace("ё", "е")
        try:
            with open_store(server.db, create=False, wait_ms=WAIT_MS) as store:
                roster = store.teachers()
                found = [
                    {"id": tid, "name": roster[tid].name, "school": roster[tid].school}
                    for tid in roster
                    if text
                    and (
                        tid.startswith(text)
                        or text in roster[tid].name.casefold().replace("ё", "е")
                    )
                ]
        except StoreError as error:
            return _busy(error)
        return JSONResponse(found[:20])

    def picture(request: Request) -> Response:
        if (refused := guard(request)) is not None:
            return refused
        pid = str(request.path_params["pid"])
        if pid not in server.pictures:
            with contextlib.suppress(StoreError):
                server.queue()  # a picture of an item that came in since the page loaded
        path = server.pictures.get(pid)
        if path is None or not path.is_file():
            return Response(PLACEHOLDER, media_type="image/svg+xml")
        return FileResponse(path)

    def static(request: Request) -> Response:
        name = str(request.path_params["name"])
        if name not in ("review.js", "review.css"):
            return Response("not found", 404)
        text = resources.files("scoring").joinpath("static", name).read_text(encoding="utf-8")
        kind = "text/javascript" if name.endswith(".js") else "text/css"
        return Response(text, media_type=kind)

    return Starlette(
        routes=[
            Route("/", page),
            Route("/api/queue", queue_json),
            Route("/api/decide", decide, methods=["POST"]),
            Route("/api/teachers", teachers),
            Route("/picture/{pid}", picture),
            Route("/static/{name}", static),
        ]
    )


def check_host(host: str, token: str | None) -> str | None:
    """The token a server on ``host`` needs: none on this machine, a new one elsewhere."""
    if host in LOCAL_HOSTS:
        return token
    return token or secrets.token_urlsafe(18)


def serve(server: ReviewServer, host: str, port: int) -> None:  # pragma: no cover - blocking
    """Run the review server until interrupted."""
    import uvicorn

    uvicorn.run(create_app(server), host=host, port=port, log_level="warning")
