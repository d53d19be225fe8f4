"""The FastAPI application: routes, the one JSON error envelope, the request size limit."""

from __future__ import annotations

import json
import logging
import re
from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, Header, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from fieldapp.forms import FormSet, default_forms
from fieldapp.sync import protocol as P

from . import __version__, db, openapi
from . import forms as server_forms
from .auth import ApiError, User, login, people_for, user_for_token
from .service import SyncService
from .settings import Settings

log = logging.getLogger("fieldapp.server")
SHA_PATTERN = r"^[0-9a-f]{64}$"

_STATUS_TH = {  # what a person reads for the errors the web framework answers itself
    404: "ไม่พบสิ่งที่ขอในเซิร์ฟเวอร์",
    405: "เซิร์ฟเวอร์ไม่รับคำขอแบบนี้",
}
_STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    411: "length_required",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_attempts",
}


def envelope_response(
    status: int,
    code: str,
    message: str,
    message_en: str | None = None,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The one error envelope: ``message`` in Thai for people, ``message_en`` in English for logs."""
    return JSONResponse(
        P.error_envelope(code, message, message_en, details), status_code=status, headers=headers
    )


class SizeLimit:
    """413 for bodies over the limit (declared by Content-Length), before the app reads them."""

    def __init__(self, app: ASGIApp, state: Any) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("POST", "PUT", "PATCH"):
            headers = dict(scope["headers"])
            length = headers.get(b"content-length")
            if length is None and headers.get(b"transfer-encoding"):
                resp = envelope_response(
                    411, "length_required", "คำขอต้องระบุขนาดข้อมูล", "send a Content-Length header"
                )
                await resp(scope, receive, send)
                return
            limit = self.state.settings.max_request_bytes
            if length is not None and (not length.isdigit() or int(length) > limit):
                resp = envelope_response(
                    413,
                    "too_large",
                    "ข้อมูลที่ส่งมีขนาดใหญ่เกินไป",
                    f"request body over {limit} bytes; send smaller batches",
                    {"max_bytes": limit},
                )
                await resp(scope, receive, send)
                return
        await self.app(scope, receive, send)


def check_protocol(x_fieldapp_protocol: Annotated[str | None, Header()] = None) -> None:
    if x_fieldapp_protocol is not None and x_fieldapp_protocol != str(P.PROTOCOL_VERSION):
        raise ApiError(
            400,
            "protocol_mismatch",
            "โปรแกรมรุ่นนี้ใช้กับเซิร์ฟเวอร์ไม่ได้ กรุณาปรับปรุงโปรแกรม",
            f"client speaks protocol {x_fieldapp_protocol}, server {P.PROTOCOL_VERSION}; update fieldapp",
            {"server": P.PROTOCOL_VERSION, "client": x_fieldapp_protocol},
        )


def current_user(request: Request, authorization: Annotated[str | None, Header()] = None) -> User:
    token = None
    if authorization:
        m = re.match(r"^Bearer\s+(\S+)$", authorization)
        token = m.group(1) if m else None
    engine = request.app.state.engine
    with engine.connect().execution_options(readonly=True) as conn, conn.begin():
        return user_for_token(conn, request.app.state.settings, token)


Auth = Annotated[User, Depends(current_user)]


def bind(app: FastAPI, settings: Settings, forms: FormSet | None = None) -> None:
    """Connect the app to a database (created or migrated now) with these settings."""
    forms = forms or default_forms()
    engine = db.make_engine(settings.database_url)
    db.migrate(engine)
    app.state.settings = settings
    app.state.forms = forms
    app.state.engine = engine
    app.state.service = SyncService(engine, settings, forms)


def app_from_env() -> FastAPI:
    """The app of one worker process of ``fieldapp-server run --workers N`` (settings from the
    environment: DATABASE_URL and the FIELDAPP_* variables), also for gunicorn/uvicorn directly:
    ``uvicorn --factory server.app:app_from_env --workers 4``."""
    return create_app(Settings.from_env())


def create_app(settings: Settings | None = None, forms: FormSet | None = None) -> FastAPI:
    """The server's app over the database ``settings`` name: errors in one envelope, the size
    limit, the routes of accounts, sync, attachments and the laptops' audit rows, and the
    published API description (``server.openapi``)."""
    app = FastAPI(
        title="fieldapp server",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        description="Central server of fieldapp: accounts, areas and two-way offline sync. "
        "The protocol is described in docs/sync.md.",
    )
    bind(app, settings or Settings.from_env(), forms)
    state = app.state  # routes read the bound database and settings at request time
    app.add_middleware(SizeLimit, state=state)
    _error_handlers(app)
    _account_routes(app, state)
    _sync_routes(app, state)
    _attachment_routes(app, state)
    _audit_routes(app, state)
    openapi.install(app)
    return app


PROTO = Depends(check_protocol)  # every route checks the protocol version the client speaks


def body_object(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise P.ProtocolViolation("the body must be a JSON object")
    return payload


def _error_handlers(app: FastAPI) -> None:
    """Every error in the one envelope (``message`` in Thai, ``message_en``, ``code``)."""

    @app.exception_handler(ApiError)
    async def _api_error(_req: Request, exc: ApiError) -> JSONResponse:
        return envelope_response(exc.status, exc.code, exc.message, exc.message_en, exc.details, exc.headers)

    @app.exception_handler(P.ProtocolViolation)
    async def _violation(_req: Request, exc: P.ProtocolViolation) -> JSONResponse:
        return envelope_response(400, "bad_payload", "ข้อมูลที่ส่งมาไม่ถูกรูปแบบ", str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_req: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        th = _STATUS_TH.get(exc.status_code, "คำขอไม่ถูกต้อง")
        return envelope_response(exc.status_code, code, th, message, {}, dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_req: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "loc": [str(x) for x in e.get("loc", ())],
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        return envelope_response(
            422,
            "invalid_request",
            "คำขอไม่ถูกต้อง",
            f"{'.'.join(first['loc'])}: {first['msg']}",
            {"errors": errors},
        )

    @app.exception_handler(Exception)
    async def _crash(_req: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return envelope_response(
            500,
            "server_error",
            "เซิร์ฟเวอร์ขัดข้อง ข้อมูลชุดนี้ยังไม่ถูกบันทึก กรุณาซิงค์ใหม่ภายหลัง",
            "internal server error; the request was not applied",
        )


def _account_routes(app: FastAPI, state: State) -> None:
    """Log in, the handshake (protocol, time, the user's scope and forms), a form's definition."""

    @app.post(P.Paths.LOGIN, dependencies=[PROTO], summary="Log in; returns a short-lived token")
    def post_login(request: Request, payload: Annotated[Any, Body()]) -> dict[str, Any]:
        o = body_object(payload)
        name, password = o.get("user"), o.get("password")
        if not isinstance(name, str) or not isinstance(password, str):
            raise P.ProtocolViolation("login: 'user' and 'password' must be strings")
        P.check_text(name, "login: 'user'", P.MAX_USER_NAME)
        P.check_text(password, "login: 'password'", P.MAX_PASSWORD)
        device = o.get("device_id") if isinstance(o.get("device_id"), str) else None
        if device is not None:
            P.check_text(device, "login: 'device_id'", P.MAX_DEVICE_ID)
        key = o.get("device_key") if isinstance(o.get("device_key"), str) else None
        if key is not None:
            P.check_text(key, "login: 'device_key'", P.MAX_DEVICE_ID)
        source = request.client.host if request.client else None
        token, expires = login(state.engine, state.settings, name, password, device, source, key)
        return {"token": token, "expires_at": expires, "token_type": "bearer"}

    @app.get(
        P.Paths.HANDSHAKE, dependencies=[PROTO], summary="Protocol version, server time, the user's scope"
    )
    def get_handshake(user: Auth) -> dict[str, Any]:
        with state.engine.connect() as conn:
            people = people_for(conn, user)
        forms = state.service.forms
        return {
            "people": people,
            "protocol": P.PROTOCOL_VERSION,
            "server_version": __version__,
            "server_time": P.iso(state.settings.clock()),
            "user": user.name,
            "role": user.role,
            "areas": list(user.areas),
            "everything": user.everything,
            "forms": {f.id: f.version for f in forms},
            "installed_forms": state.service.registry.installed_versions(),
            "installed_fingerprints": state.service.registry.installed_fingerprints(),
            "scoring": {f.id: f.rubric.fingerprint for f in forms if f.rubric is not None},
            "history": True,
        }

    @app.get(
        P.Paths.FORM,
        dependencies=[PROTO],
        summary="The newest definition of a form installed on the server",
    )
    def get_form(user: Auth, form_id: Annotated[str, Path(max_length=P.MAX_FORM_ID)]) -> dict[str, Any]:
        found = server_forms.definition(state.engine, form_id)
        if found is None:
            raise ApiError(
                404,
                "not_found",
                f"ไม่มีแบบฟอร์ม {form_id} ที่ติดตั้งไว้บนเซิร์ฟเวอร์",
                f"no installed form {form_id!r} on this server",
            )
        return found


def _sync_routes(app: FastAPI, state: State) -> None:
    """Push, pull, verify and the open conflicts."""

    # push and pull answers are large: encoded once here, not through FastAPI's generic
    # response validation and encoding (which walks every value of every document)

    @app.post(
        P.Paths.PUSH,
        dependencies=[PROTO],
        summary="Push a batch of changes",
        response_model=dict[str, Any],
    )
    def post_push(request: Request, user: Auth, payload: Annotated[Any, Body()]) -> Response:
        req = P.PushRequest.from_json(body_object(payload))
        results, reused = state.service.push_answer(user, req)
        answer: dict[str, Any] = {"results": [r.to_json() for r in results]}
        if reused:  # another database pushes with this device id: the laptop takes a new one
            answer["device_reused"] = True
        return json_response(_dumps(answer), request.headers.get("accept-encoding", ""))

    @app.get(
        P.Paths.PULL,
        dependencies=[PROTO],
        summary="Records changed after a cursor, in pages",
        response_model=dict[str, Any],
    )
    def get_pull(
        request: Request,
        user: Auth,
        cursor: Annotated[int, Query(ge=0, le=P.MAX_INT)] = 0,
        limit: Annotated[int, Query(ge=1, le=P.MAX_PULL_PAGE)] = P.DEFAULT_PULL_PAGE,
        count: Annotated[bool, Query(description="also say how many records are due in all")] = False,
    ) -> Response:
        body = state.service.pull_body(user, cursor, limit, count=count)
        return json_response(body, request.headers.get("accept-encoding", ""))

    @app.post(P.Paths.VERIFY, dependencies=[PROTO], summary="Counts and checksums of the user's scope")
    def post_verify(user: Auth, payload: Annotated[Any, Body()]) -> dict[str, Any]:
        o = body_object(payload)
        exclude = o.get("exclude") or []
        if not isinstance(exclude, list) or not all(isinstance(x, str) for x in exclude):
            raise P.ProtocolViolation("verify: 'exclude' must be a list of record ids")
        return state.service.verify(user, set(exclude))

    @app.get(P.Paths.CONFLICTS, dependencies=[PROTO], summary="Open conflicts in the user's areas")
    def get_conflicts(user: Auth) -> dict[str, Any]:
        return {"conflicts": state.service.open_conflicts(user)}


def _attachment_routes(app: FastAPI, state: State) -> None:
    """How much of a file has arrived, uploading it in parts, downloading it."""

    @app.get(P.Paths.ATTACHMENT_STATUS, dependencies=[PROTO], summary="How much of an attachment has arrived")
    def get_attachment_status(user: Auth, sha256: Annotated[str, _sha_param()]) -> dict[str, Any]:
        return state.service.attachment_status(user, sha256)

    @app.put(P.Paths.ATTACHMENT, dependencies=[PROTO], summary="Upload (part of) an attachment")
    async def put_attachment(
        request: Request,
        user: Auth,
        sha256: Annotated[str, _sha_param()],
        size: Annotated[int, Query(ge=0, le=P.MAX_ATTACHMENT_BYTES)],
        offset: Annotated[int, Query(ge=0, le=P.MAX_ATTACHMENT_BYTES)] = 0,
    ) -> dict[str, Any]:
        chunk = await request.body()
        mime = request.headers.get("content-type")
        if mime is not None:
            P.check_text(mime, "Content-Type", P.MAX_MIME)
        return await run_in_threadpool(state.service.put_attachment, user, sha256, offset, size, chunk, mime)

    @app.get(
        P.Paths.ATTACHMENT, dependencies=[PROTO], summary="Download an attachment", response_class=Response
    )
    def get_attachment(user: Auth, sha256: Annotated[str, _sha_param()]) -> Response:
        data, mime = state.service.get_attachment(user, sha256)
        return Response(data, media_type=mime or "application/octet-stream")


def _audit_routes(app: FastAPI, state: State) -> None:
    """A laptop's audit-trail rows, kept on the server."""

    @app.post(P.Paths.AUDIT, dependencies=[PROTO], summary="Store a laptop's audit-trail rows")
    def post_audit(user: Auth, payload: Annotated[Any, Body()]) -> dict[str, Any]:
        device, entries = P.parse_audit_batch(body_object(payload))
        return {"stored": state.service.store_device_audit(user, device, entries)}


GZIP_MIN_BYTES = 1024  # smaller answers are not worth compressing
GZIP_LEVEL = 6  # see docs/benchmarks.md: pull pages shrink about 8-10x


def json_response(body: str, accept_encoding: str = "") -> Response:
    """An answer whose JSON text is already encoded; gzip-compressed when the client accepts it
    (village mobile data: a pull page of 500 households goes from megabytes to a few hundred KB).
    Compressed here, in the request's worker thread, not in the event loop."""
    data = body.encode("utf-8")
    if len(data) >= GZIP_MIN_BYTES and accepts_gzip(accept_encoding):
        import gzip

        return Response(
            gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0),
            media_type="application/json",
            headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
        )
    return Response(data, media_type="application/json", headers={"Vary": "Accept-Encoding"})


def accepts_gzip(accept_encoding: str) -> bool:
    """True when the Accept-Encoding header allows gzip (``gzip;q=0`` refuses it)."""
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() in ("gzip", "*"):
            q = params.strip()
            try:
                return float(q[2:]) > 0 if q.startswith("q=") else True
            except ValueError:
                return True
    return False


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _sha_param() -> Any:
    from fastapi import Path as PathParam

    return PathParam(pattern=SHA_PATTERN, description="SHA-256 of the file, 64 lower-case hex digits")
