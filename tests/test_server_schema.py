"""schemathesis over the published OpenAPI description, against the real server on loopback.

Every operation gets valid and invalid requests generated from the description (bounded and
derandomised, so a run is reproducible); the server must never answer 5xx, and every answer must
be one the description lists, with its documented shape and media type. Runs on SQLite, and on
PostgreSQL when one answers (``FIELDAPP_TEST_DATABASE_URL``).
"""

from __future__ import annotations

import copy
import warnings
from pathlib import Path
from typing import Any

import requests
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from live_server import LiveServer, fast_settings, shared_app
from sqlalchemy import delete, update

from fieldapp.sync import protocol as P
from server import auth, db

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.config import SchemathesisConfig
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

PASSWORD = "correct horse"
EXAMPLES = 10  # per operation and per mode (valid, invalid): about 200 requests a database
STATEFUL_EXAMPLES = 12  # sequences of up to 6 calls
# Sequences follow the links the description declares (upload -> status -> download, push -> pull).
# Links inferred from shared schema names (a pulled history entry "feeds" a push) would make the pull
# the only place a sequence may start, so the attachment calls would never be reached.
DESCRIBED_LINKS_ONLY = SchemathesisConfig.from_dict(
    {"phases": {"stateful": {"inference": {"algorithms": ["location-headers"]}}}}
)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
HTTP_REFUSAL = (400, "Invalid HTTP request received.")
"""uvicorn's own answer to bytes that are not a valid HTTP request (a header with no value where
one is required, say): the request never reaches the application, so the description cannot
list it; only that it is no server error is checked."""


def _checks(response: Any) -> list[Any]:
    if (response.status_code, response.text) == HTTP_REFUSAL:
        return [not_a_server_error]
    return CHECKS


def test_generated_requests_never_make_the_server_fail(db_url: str) -> None:
    s = fast_settings(db_url)
    app = shared_app(s)
    with app.state.engine.begin() as conn:
        auth.add_user(conn, s, "am", "area_manager", ["3201"], PASSWORD)
    live = LiveServer(app).start()
    failures: list[str] = []
    calls: dict[str, int] = {}
    try:
        token = requests.post(live.url + P.Paths.LOGIN, json={"user": "am", "password": PASSWORD}, timeout=30)
        headers = {"Authorization": f"Bearer {token.json()['token']}"}
        schema = schemathesis.openapi.from_dict(copy.deepcopy(app.openapi()))  # the app's own stays untouched
        for result in schema.get_all_operations():
            op = result.ok()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                run = _runner(op, mode, live.url, headers, failures, calls)
                try:
                    run()
                except Unsatisfiable:  # nothing in this operation can be made invalid
                    assert mode is GenerationMode.NEGATIVE
    finally:
        live.stop()
        app.state.engine.dispose()
    assert not failures, "\n".join(failures[:20])
    assert all(calls.get(op, 0) >= EXAMPLES for op in _labels(app)), calls  # every operation was exercised


def _labels(app: Any) -> list[str]:
    return [f"{m.upper()} {p}" for p, ops in app.openapi()["paths"].items() for m in ops]


def _runner(
    op: Any, mode: Any, url: str, headers: dict[str, str], failures: list[str], calls: dict[str, int]
) -> Any:
    @given(case=op.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        response = case.call(base_url=url, headers=headers)
        calls[op.label] = calls.get(op.label, 0) + 1
        try:
            case.validate_response(response, checks=_checks(response))
        except Exception as exc:  # the checks raise one error listing what failed
            failures.append(f"{op.label} ({mode.value}): {exc}\n{case.as_curl_command()[:500]}")

    return run


def test_generated_sequences_of_calls_never_make_the_server_fail(db_url: str) -> None:
    """Stateful: calls chained along the description's links (upload → status → download → go on
    uploading; push → pull → next page), with generated values everywhere else."""
    s = fast_settings(db_url)
    app = shared_app(s)
    with app.state.engine.begin() as conn:
        auth.add_user(conn, s, "am", "area_manager", ["3201"], PASSWORD)
    live = LiveServer(app).start()
    failures: list[str] = []
    steps: list[str] = []
    try:
        token = requests.post(live.url + P.Paths.LOGIN, json={"user": "am", "password": PASSWORD}, timeout=30)
        headers = {"Authorization": f"Bearer {token.json()['token']}"}
        schema = schemathesis.openapi.from_dict(copy.deepcopy(app.openapi()), config=DESCRIBED_LINKS_ONLY)

        class Machine(schema.as_state_machine()):  # type: ignore[misc]
            def setup(self) -> None:
                _forget_data(app)  # each sequence starts from the same state: reproducible

            def get_call_kwargs(self, case: Any) -> dict[str, Any]:
                return {"base_url": live.url, "headers": headers}

            def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
                steps.append(case.operation.label)
                try:
                    case.validate_response(response, checks=_checks(response))
                except Exception as exc:
                    failures.append(f"{case.operation.label}: {exc}\n{case.as_curl_command()[:500]}")

        Machine.run(
            settings=settings(
                max_examples=STATEFUL_EXAMPLES,
                stateful_step_count=6,
                derandomize=True,
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            )
        )
    finally:
        live.stop()
        app.state.engine.dispose()
    assert not failures, "\n".join(failures[:20])
    assert len(set(steps)) >= 4, set(steps)


def _forget_data(app: Any) -> None:
    """Everything but the accounts and their tokens."""
    keep = {"users", "user_areas", "tokens", "schema_version", "counters"}
    with app.state.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            if table.name not in keep:
                conn.execute(delete(table))
        conn.execute(update(db.counters).values(value=0))


def test_the_description_has_every_body_and_answer_and_no_unsent_422_detail(tmp_path: Path) -> None:
    app = shared_app(fast_settings(f"sqlite:///{tmp_path / 's.db'}"))
    doc = app.openapi()
    text = str(doc)
    assert "HTTPValidationError" not in text and "ValidationError" not in doc["components"]["schemas"]
    paths = doc["paths"]
    for path, method in [
        (P.Paths.LOGIN, "post"),
        (P.Paths.PUSH, "post"),
        (P.Paths.VERIFY, "post"),
        (P.Paths.AUDIT, "post"),
        (P.Paths.ATTACHMENT, "put"),
    ]:
        assert paths[path][method]["requestBody"]["required"] is True, path
    assert {"400", "401", "411", "413", "429"} <= set(paths[P.Paths.LOGIN]["post"]["responses"])
    assert {"404", "409", "411", "413"} <= set(paths[P.Paths.ATTACHMENT]["put"]["responses"])
    assert "404" in paths[P.Paths.ATTACHMENT]["get"]["responses"]
    for ops in paths.values():
        for op in ops.values():
            for status, answer in op["responses"].items():
                if status != "200":
                    assert answer["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/Error"
                    }
    change = doc["components"]["schemas"]["Change"]["properties"]
    assert change["base_rev"]["anyOf"][0]["maximum"] == P.MAX_INT
    app.state.engine.dispose()
