"""The HTTP transport of sync: ``requests`` in, ``SyncError`` out.

Adds the protocol header, the bearer token, logs in again when the token expired and retries
network and server failures. ``requests`` exceptions never leave this module; the error envelope
of the server becomes a ``SyncError`` with its kind (AUTH, NETWORK, SERVER, CONFLICT, PROTOCOL).
"""

from __future__ import annotations

import ipaddress
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests

from fieldapp import __version__
from fieldapp.errors import SyncError, SyncErrorKind, ValidationError
from fieldapp.sync import protocol as P
from fieldapp.sync.failures import sync_error

PLAIN_HTTP_WARNING = (
    "เชื่อมต่อเซิร์ฟเวอร์ด้วย http:// ซึ่งไม่เข้ารหัส ผู้อื่นในเครือข่ายอาจเห็นรหัสผ่านและข้อมูลครัวเรือนได้ ควรใช้ https://"
)
PLAIN_HTTP_WARNING_EN = (
    "the server address is http://: nothing is encrypted, so anyone on the way can read the password "
    "and the households' data; use https://"
)


def check_server_url(url: str) -> str:
    """The server address as sync uses it (``https://`` added when no scheme is typed), or
    ValidationError with a Thai message: http or https, a host name without spaces, a valid port."""
    text = url.strip()
    example = "https://sync.example.go.th"
    if not text:
        raise ValidationError(
            f"กรุณาพิมพ์ที่อยู่เซิร์ฟเวอร์ เช่น {example}", "the server address is empty", code="url.empty"
        )
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port  # raises for a port that is not a number from 0 to 65535
    except ValueError:
        parts, port = None, None
    bad = (
        parts is None
        or parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or any(ch.isspace() for ch in text)
        or parts.username is not None
        or parts.query
        or parts.fragment
        or port == 0
        or parts.netloc.endswith(":")
        or not all(ch.isalnum() or ch in "-." for ch in (parts.hostname or "").strip("[]").replace(":", ""))
    )
    if bad:
        raise ValidationError(
            f"ที่อยู่เซิร์ฟเวอร์ไม่ถูกต้อง: {url.strip()} ต้องขึ้นต้นด้วย https:// ตามด้วยชื่อเครื่อง "
            f"เช่น {example} (ถามผู้จัดการพื้นที่ หรือเว้นว่างไว้ก่อนได้)",
            f"not a server address: {url.strip()!r} (expected e.g. {example})",
            code="url.invalid",
        )
    return text.rstrip("/")


def is_plain_http(url: str) -> bool:
    return url.strip().lower().startswith("http://")


def on_local_network(url: str) -> bool:
    """True when the server is this computer or on the local network: a loopback or private
    address, a link-local one, ``localhost`` or a ``.local`` (mDNS) name. Names are not looked up."""
    host = (urlsplit(url.strip()).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith((".localhost", ".local")):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_link_local or any(ip in net for net in _LOCAL_NETWORKS)


# private address ranges (RFC 1918 and IPv6 unique local addresses)
_LOCAL_NETWORKS = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)


def check_plain_http(url: str, allow: bool) -> str | None:
    """The Thai warning for a plain-HTTP server (None for https://); SyncError when the server is
    not on the local network and the user did not insist (``allow``)."""
    if not is_plain_http(url):
        return None
    if not allow and not on_local_network(url):
        raise sync_error(
            SyncErrorKind.NETWORK,
            "ที่อยู่เซิร์ฟเวอร์ขึ้นต้นด้วย http:// ซึ่งไม่เข้ารหัส และเซิร์ฟเวอร์ไม่ได้อยู่ในเครือข่ายภายใน "
            "รหัสผ่านและข้อมูลครัวเรือนจะถูกส่งโดยผู้อื่นอ่านได้ กรุณาใช้ https:// "
            "(หากจำเป็นจริง ๆ ให้เปิดตัวเลือกอนุญาต http:// ในการตั้งค่า)",
            f"refusing plain http:// to a server outside the local network ({url}): the password and the "
            "households' data would cross the network unencrypted; use https:// (or --allow-http to insist)",
            plain_http=True,
            final=True,
        )
    return PLAIN_HTTP_WARNING


READ_CHUNK = 64 * 1024  # an answer is read in pieces of this size; cancel is checked between them
CONNECT_TIMEOUT = 10.0  # seconds to reach the server


class TransferCancelled(Exception):
    """``cancel()`` said stop while a request was under way (between two pieces of an answer)."""


Receiving = Callable[[int, int], None]  # (bytes received, bytes expected or 0) while an answer arrives


@dataclass
class Answer:
    """A non-JSON answer (an attachment): its bytes and headers."""

    content: bytes
    headers: Mapping[str, str]  # case-insensitive, as requests gives them


class Transport:
    """requests → SyncError, the protocol header, bearer token, re-login on expiry, retries.

    Answers are streamed: read in pieces of ``READ_CHUNK`` (gzip-decoded on the way), with
    ``cancel()`` checked and ``receiving(bytes, expected)`` called after each piece, so a large
    pull page on a slow link can be stopped within a second and its arrival shown. ``timeout`` is
    the longest silence of the server while reading before the request counts as failed.
    """

    def __init__(
        self,
        base_url: str,
        user: str,
        password: str,
        device_id: str,
        *,
        session: requests.Session | None,
        timeout: float,
        retries: int,
        device_key: str | None = None,
        cancel: Callable[[], bool] | None = None,
        receiving: Receiving | None = None,
    ) -> None:
        self.base = base_url.rstrip("/")
        self.user = user
        self.password = password
        self.device_id = device_id
        self.device_key = device_key  # proves the device id is this database's (see docs/sync.md)
        self.session = session or requests.Session()
        self.session.headers[P.PROTOCOL_HEADER] = str(P.PROTOCOL_VERSION)
        self.session.headers["User-Agent"] = f"fieldapp/{__version__}"
        self.timeout = timeout
        self.retries = retries
        self.cancel = cancel
        self.receiving = receiving
        self.token: str | None = None

    def login(self) -> None:
        login: dict[str, str] = {"user": self.user, "password": self.password, "device_id": self.device_id}
        if self.device_key:
            login["device_key"] = self.device_key
        body = self.call("POST", P.Paths.LOGIN, json=login, auth=False)
        token = body.get("token") if isinstance(body, dict) else None
        if not isinstance(token, str):
            raise sync_error(SyncErrorKind.PROTOCOL, "เซิร์ฟเวอร์ตอบกลับไม่ถูกรูปแบบ", "login answer has no token")
        self.token = token

    def call(self, method: str, path: str, *, auth: bool = True, raw: bool = False, **kwargs: Any) -> Any:
        attempt = 0
        relogged = False
        while True:
            try:
                return self._once(method, path, auth=auth, raw=raw, **kwargs)
            except SyncError as exc:
                code = exc.details.get("code")
                if auth and not relogged and code in ("token_expired", "unauthenticated"):
                    relogged = True
                    self.login()
                    continue
                retriable = exc.kind in (SyncErrorKind.NETWORK, SyncErrorKind.SERVER) and not exc.details.get(
                    "final"
                )
                if not retriable or attempt >= self.retries:
                    raise
                self._pause(min(8.0, 0.5 * 2**attempt))
                attempt += 1

    def _pause(self, seconds: float) -> None:
        """Sleep before a retry, stopping early when cancelled."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            if self.cancel is not None and self.cancel():
                raise TransferCancelled
            time.sleep(min(0.1, left))

    def _read(self, resp: requests.Response) -> bytes:
        """The whole (decoded) body of a streamed answer, piece by piece."""
        expected = int(resp.headers.get("content-length") or 0)
        body = bytearray()
        for piece in resp.iter_content(READ_CHUNK):
            body += piece
            if self.receiving is not None:
                arrived = resp.raw.tell() if expected else len(body)  # bytes on the wire
                self.receiving(arrived, expected)
            if self.cancel is not None and self.cancel():
                resp.close()
                raise TransferCancelled
        return bytes(body)

    def _once(self, method: str, path: str, *, auth: bool, raw: bool, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}) or {})
        if auth and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        url = self.base + path
        try:
            resp = self.session.request(
                method,
                url,
                headers=headers,
                timeout=(min(CONNECT_TIMEOUT, self.timeout), self.timeout),
                stream=True,
                **kwargs,
            )
            content = self._read(resp)
        except requests.exceptions.InvalidURL as exc:
            raise sync_error(
                SyncErrorKind.NETWORK, "ที่อยู่เซิร์ฟเวอร์ไม่ถูกต้อง", f"invalid server address: {exc}", final=True
            ) from None
        except requests.exceptions.Timeout:
            raise sync_error(
                SyncErrorKind.NETWORK,
                "เซิร์ฟเวอร์ไม่ตอบสนอง (หมดเวลา) กรุณาลองใหม่เมื่อสัญญาณดีขึ้น",
                f"{method} {path}: timed out",
            ) from None
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
            raise sync_error(
                SyncErrorKind.NETWORK,
                "ข้อมูลจากเซิร์ฟเวอร์ขาดหายระหว่างทาง กรุณาซิงค์ใหม่",
                f"{method} {path}: the answer was cut off",
            ) from None
        except requests.exceptions.RequestException as exc:
            raise sync_error(
                SyncErrorKind.NETWORK,
                "ติดต่อเซิร์ฟเวอร์ไม่ได้ กรุณาตรวจสอบอินเทอร์เน็ตแล้วลองใหม่",
                f"{method} {path}: {exc.__class__.__name__}: {exc}",
            ) from None
        ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
        if resp.status_code >= 400:
            raise self._error(content, resp.status_code, ctype, method, path)
        if raw:
            return Answer(content, resp.headers)
        if ctype != "application/json":
            raise sync_error(
                SyncErrorKind.NETWORK,
                "ได้รับหน้าเว็บแทนข้อมูล เครือข่ายนี้อาจต้องเข้าสู่ระบบ (เช่น Wi-Fi สาธารณะ) ก่อนใช้งาน",
                f"{method} {path}: expected JSON, got {ctype or 'no content type'} (captive portal?)",
            )
        try:
            return orjson.loads(content)  # a pull page is megabytes: parsed ~2x faster
        except ValueError:
            raise sync_error(
                SyncErrorKind.NETWORK,
                "ข้อมูลจากเซิร์ฟเวอร์ขาดหายระหว่างทาง กรุณาซิงค์ใหม่",
                f"{method} {path}: the answer is not complete JSON",
            ) from None

    def _error(self, content: bytes, status: int, ctype: str, method: str, path: str) -> SyncError:
        info = None
        if ctype == "application/json":
            try:
                info = P.parse_error(json.loads(content))
            except ValueError:
                info = None
        where = f"{method} {path}: HTTP {status}"
        if info is None:
            if status in (502, 503, 504):
                return sync_error(
                    SyncErrorKind.NETWORK, "ติดต่อเซิร์ฟเวอร์ไม่ได้ชั่วคราว กรุณาลองใหม่ภายหลัง", where, status=status
                )
            if status >= 500:
                return sync_error(
                    SyncErrorKind.SERVER, "เซิร์ฟเวอร์ขัดข้อง กรุณาลองใหม่ภายหลัง", where, status=status
                )
            return sync_error(
                SyncErrorKind.PROTOCOL,
                "เซิร์ฟเวอร์ตอบกลับไม่ถูกรูปแบบ (ที่อยู่เซิร์ฟเวอร์ถูกต้องหรือไม่)",
                where,
                status=status,
                final=True,
            )
        details = {"status": status, "code": info.code, **info.details}
        text = f"{where}: {info.code}: {info.message_en}"
        if status in (401, 403, 429):
            return SyncError(SyncErrorKind.AUTH, info.message, text, {**details, "final": True})
        if status >= 500:
            return SyncError(SyncErrorKind.SERVER, info.message, text, details)
        if status == 409:
            return SyncError(SyncErrorKind.CONFLICT, info.message, text, {**details, "final": True})
        return SyncError(SyncErrorKind.PROTOCOL, info.message, text, {**details, "final": True})
