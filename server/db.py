"""The server database through SQLAlchemy Core: schema, numbered migrations, engine.

Works on SQLite (the embedded default) and PostgreSQL. Documents are stored as JSON text so both
behave the same. The revision counter lives in one row of ``counters``; every write transaction
updates that row first, which serialises writers, so revisions become visible in commit order and a
pull cursor never skips a revision that commits late.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Engine,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.pool import NullPool

from fieldapp.clock import now_iso

metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("applied_at", String(40), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(40), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("display_name", String(100)),  # the person's name, shown on laptops instead of the login
)

user_areas = Table(
    "user_areas",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("area", String(6), nullable=False),
    PrimaryKeyConstraint("user_id", "area"),
)

tokens = Table(
    "tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("device_id", String(64)),
    Column("created_at", String(40), nullable=False),
    Column("expires_at", String(40), nullable=False),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_at", String(40), nullable=False),
)

counters = Table(
    "counters",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", Integer, nullable=False),
)

records = Table(
    "records",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("form_id", String(60), nullable=False),
    Column("form_version", String(40)),
    Column("area", String(6)),
    Column("rev", Integer, nullable=False, unique=True),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("doc", Text),
    Column("created_at", String(40), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("updated_at", String(40), nullable=False),
    Column("updated_by", String(100), nullable=False),
    Column("device_id", String(64)),
    Column("complete", Boolean, nullable=False, default=True),
)
Index("records_form_area", records.c.form_id, records.c.area)
# pull: a user's areas in revision order (area LIKE '32%' AND rev > cursor); for a small area this
# beats walking every revision
records_area_rev = Index(
    "records_area_rev", records.c.area, records.c.rev, postgresql_ops={"area": "text_pattern_ops"}
)
# verify: the live ids of a form inside a user's areas (area LIKE '32%'), read from the index alone;
# text_pattern_ops lets PostgreSQL use it for a prefix whatever the database's collation
records_live_scope = Index(
    "records_live_scope",
    records.c.form_id,
    records.c.area,
    records.c.id,
    postgresql_ops={"area": "text_pattern_ops"},
    postgresql_where=records.c.deleted.is_(False),
    sqlite_where=records.c.deleted.is_(False),
)

revisions = Table(
    "revisions",
    metadata,
    Column("rev", Integer, primary_key=True, autoincrement=False),
    Column("record_id", String(36), nullable=False),
    Column("form_id", String(60), nullable=False),
    Column("deleted", Boolean, nullable=False),
    Column("doc", Text),
    Column("pushed_doc", Text),  # what the device sent, when the stored doc is a merge of it
    Column("change_id", String(36)),
    Column("user_name", String(100), nullable=False),
    Column("device_id", String(64)),
    Column("at", String(40), nullable=False),
)
Index("revisions_record", revisions.c.record_id, revisions.c.rev)

changes = Table(
    "changes",
    metadata,
    Column("change_id", String(36), primary_key=True),
    Column("user_id", Integer, nullable=False),
    Column("record_id", String(36), nullable=False),
    Column("result", Text, nullable=False),
    Column("at", String(40), nullable=False),
)

conflicts = Table(
    "conflicts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("record_id", String(36), nullable=False),
    Column("form_id", String(60), nullable=False),
    Column("area", String(6)),
    Column("change_id", String(36), nullable=False),
    Column("user_name", String(100), nullable=False),
    Column("device_id", String(64)),
    Column("server_rev", Integer, nullable=False),
    Column("body", Text, nullable=False),  # protocol.Conflict as JSON: both values, who and when
    Column("created_at", String(40), nullable=False),
    Column("resolved_at", String(40)),
    Column("resolved_by", String(100)),
    Column("resolution_rev", Integer),
)
Index("conflicts_record", conflicts.c.record_id)

attachments = Table(
    "attachments",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", Integer, nullable=False),
    Column("received", Integer, nullable=False, default=0),
    Column("complete", Boolean, nullable=False, default=False),
    Column("mime", String(100)),
    Column("data", LargeBinary),
    Column("created_at", String(40), nullable=False),
    Column("created_by", String(100), nullable=False),
)

attachment_chunks = Table(
    "attachment_chunks",
    metadata,
    Column("sha256", String(64), nullable=False),
    Column("offset", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    PrimaryKeyConstraint("sha256", "offset"),
)

record_attachments = Table(
    "record_attachments",
    metadata,
    Column("record_id", String(36), nullable=False),
    Column("sha256", String(64), nullable=False),
    PrimaryKeyConstraint("record_id", "sha256"),
)
Index("record_attachments_sha", record_attachments.c.sha256)

# uploads in progress, one per file and user: nobody else can append to or reset someone's upload,
# and a finished one proves that this user had the file (``complete``)
uploads = Table(
    "uploads",
    metadata,
    Column("sha256", String(64), nullable=False),
    Column("user_name", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("received", BigInteger, nullable=False, default=0),
    Column("complete", Boolean, nullable=False, default=False),
    Column("created_at", String(40), nullable=False),
    PrimaryKeyConstraint("sha256", "user_name"),
)

upload_chunks = Table(
    "upload_chunks",
    metadata,
    Column("sha256", String(64), nullable=False),
    Column("user_name", String(100), nullable=False),
    Column("offset", BigInteger, nullable=False),
    Column("data", LargeBinary, nullable=False),
    PrimaryKeyConstraint("sha256", "user_name", "offset"),
)

# which database (laptop) a device id belongs to: registered at the first login that names it, with
# a digest of the secret key that database holds; audit rows and pushes under a device id are taken
# only from a login made with that key (or, for a login without a device, from its first user)
devices = Table(
    "devices",
    metadata,
    Column("device_id", String(64), primary_key=True),
    Column("key_hash", String(64)),
    Column("user_name", String(100), nullable=False),
    Column("created_at", String(40), nullable=False),
)

# the areas an attachment may be read in: granted when a user who has the file (uploaded it, or may
# read it already) refers to it from a record of that area; a hash alone grants nothing
attachment_areas = Table(
    "attachment_areas",
    metadata,
    Column("sha256", String(64), nullable=False),
    Column("area", String(6), nullable=False),
    PrimaryKeyConstraint("sha256", "area"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False),
    Column("user_name", String(100)),
    Column("action", String(40), nullable=False),
    Column("form_id", String(60)),
    Column("record_id", String(36)),
    Column("detail", Text),
)

# a household's rights: records erased (or anonymised) at the data subject's request; a change from
# an older copy of such a record is refused, and the laptops apply the erasure (fieldapp.rights)
erasures = Table(
    "erasures",
    metadata,
    Column("record_id", String(36), primary_key=True),
    Column("form_id", String(60), nullable=False),
    Column("mode", String(20), nullable=False),
    Column("rev", Integer),
    Column("at", String(40), nullable=False),
    Column("user_name", String(100), nullable=False),
    Column("device_id", String(64)),
)

# the laptops' own audit trails (who viewed, printed, exported … on a laptop), sent with each sync
device_audit = Table(
    "device_audit",
    metadata,
    Column("device_id", String(64), nullable=False),
    Column("local_id", Integer, nullable=False),
    Column("at", String(40), nullable=False),
    Column("user_name", String(100)),
    Column("action", String(40), nullable=False),
    Column("form_id", String(60)),
    Column("record_id", String(36)),
    Column("detail", Text),
    Column("received_at", String(40), nullable=False),
    Column("received_by", String(100), nullable=False),
    PrimaryKeyConstraint("device_id", "local_id"),
)
Index("device_audit_record", device_audit.c.record_id)


# forms installed on the server besides the bundled ones (``fieldapp-server forms add``): every
# version, newest by id; laptops receive them at sync and the server checks records against them
installed_forms = Table(
    "installed_forms",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("form_id", String(60), nullable=False),
    Column("version", String(60), nullable=False),
    Column("definition", Text, nullable=False),
    Column("source", String(255)),
    Column("installed_at", String(40), nullable=False),
    Column("installed_by", String(100), nullable=False),
    UniqueConstraint("form_id", "version"),
)


# which record holds each repeat row id: a laptop keeps every repeat's rows in one table whose key
# is the row id, so a row id used by two records could never be stored there (the server refuses it)
row_ids = Table(
    "row_ids",
    metadata,
    Column("form_id", String(60), nullable=False),
    Column("repeat_id", String(60), nullable=False),
    Column("row_id", String(36), nullable=False),
    Column("record_id", String(36), nullable=False),
    PrimaryKeyConstraint("form_id", "repeat_id", "row_id"),
)
Index("row_ids_record", row_ids.c.record_id)


# survey rounds (fieldapp.rounds): which live record follows which round, for the check that a
# round has one next round (a record's link is its document's previous-round field)
round_links = Table(
    "round_links",
    metadata,
    Column("record_id", String(36), primary_key=True),
    Column("form_id", String(60), nullable=False),
    Column("previous_id", String(36), nullable=False),
)
Index("round_links_previous", round_links.c.previous_id)


# a record's edit history (fieldapp.history): one entry per save that changed it on a laptop — who,
# when, on which device, the changes field by field (old → new, JSON text). Pushed with the record's
# change and stored once by the entry's id (a retried push changes nothing), pulled with the record
# by the laptops of its area; erasing or anonymising the record deletes it.
record_history = Table(
    "record_history",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("record_id", String(36), nullable=False),
    Column("form_id", String(60), nullable=False),
    Column("at", String(40), nullable=False),
    Column("user_name", String(100), nullable=False),
    Column("device_id", String(64)),
    Column("action", String(40), nullable=False),
    Column("changes", Text, nullable=False),
    Column("received_at", String(40), nullable=False),
    Column("received_by", String(100), nullable=False),
)
Index("record_history_record", record_history.c.record_id, record_history.c.at)


def doc_rows(doc: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(repeat id, row id) of every repeat row of a stored document."""
    out: list[tuple[str, str]] = []
    for key, value in (doc or {}).items():
        if isinstance(value, list):
            out += [(key, r["id"]) for r in value if isinstance(r, dict) and isinstance(r.get("id"), str)]
    return out


# ---------------------------------------------------------------------- migrations


def _m1_initial(conn: Connection) -> None:
    metadata.create_all(conn)
    conn.execute(insert(counters).values(name="rev", value=0))


def _m2_privacy(conn: Connection) -> None:
    erasures.create(conn, checkfirst=True)
    device_audit.create(conn, checkfirst=True)


def _m3_scale(conn: Connection) -> None:
    records_area_rev.create(conn, checkfirst=True)
    records_live_scope.create(conn, checkfirst=True)


def _m4_row_ids(conn: Connection) -> None:
    import json

    row_ids.create(conn, checkfirst=True)
    seen: set[tuple[str, str, str]] = set()
    result = conn.execute(
        select(records.c.id, records.c.form_id, records.c.doc)
        .where(records.c.doc.is_not(None))
        .order_by(records.c.rev)
        .execution_options(yield_per=2000)
    )
    rows = []
    for part in result.partitions():
        for rid, form_id, raw in part:
            for repeat_id, row_id in doc_rows(json.loads(raw)):
                if (form_id, repeat_id, row_id) not in seen:  # a row id taken twice: the first keeps it
                    seen.add((form_id, repeat_id, row_id))
                    rows.append(
                        {"form_id": form_id, "repeat_id": repeat_id, "row_id": row_id, "record_id": rid}
                    )
    for start in range(0, len(rows), 5000):
        conn.execute(insert(row_ids), rows[start : start + 5000])


def _m5_display_names(conn: Connection) -> None:
    if "display_name" not in {c["name"] for c in inspect(conn).get_columns("users")}:
        conn.execute(text("ALTER TABLE users ADD COLUMN display_name VARCHAR(100)"))


def _m6_attachment_access(conn: Connection) -> None:
    for table in (uploads, upload_chunks, attachment_areas):
        table.create(conn, checkfirst=True)
    # what could be read before stays readable: the areas of the records that refer to each file
    pairs = conn.execute(
        select(record_attachments.c.sha256, records.c.area)
        .join(records, records.c.id == record_attachments.c.record_id)
        .join(attachments, attachments.c.sha256 == record_attachments.c.sha256)
        .where(attachments.c.complete.is_(True), records.c.area.is_not(None))
        .distinct()
    ).all()
    rows = [{"sha256": sha, "area": area} for sha, area in pairs]
    for start in range(0, len(rows), 5000):
        conn.execute(insert(attachment_areas), rows[start : start + 5000])
    # and whoever finished an upload holds that file
    held = conn.execute(
        select(
            attachments.c.sha256, attachments.c.created_by, attachments.c.size, attachments.c.created_at
        ).where(attachments.c.complete.is_(True))
    ).all()
    rows = [
        {"sha256": sha, "user_name": by, "size": size, "received": size, "complete": True, "created_at": at}
        for sha, by, size, at in held
    ]
    for start in range(0, len(rows), 5000):
        conn.execute(insert(uploads), rows[start : start + 5000])


# years the business form once stored in the Christian era and now keeps in the Buddhist era
BE_YEAR_FIELDS = {"business": ("otop_year", "cbt_year")}


def be_years(doc: Any, fields: tuple[str, ...]) -> bool:
    """Move a document's Christian-era years (below 2400) to the Buddhist era; True if it changed."""
    changed = False
    if isinstance(doc, dict):
        for f in fields:
            v = doc.get(f)
            if isinstance(v, int) and not isinstance(v, bool) and v < 2400:
                doc[f] = v + 543
                changed = True
    return changed


def _m8_be_years(conn: Connection) -> None:
    import json

    # stored records and every revision (a revision is the base of a later three-way merge)
    for form_id, fields in BE_YEAR_FIELDS.items():
        for table, key, cols in (
            (records, records.c.id, ("doc",)),
            (revisions, revisions.c.rev, ("doc", "pushed_doc")),
        ):
            rows = conn.execute(
                select(key, *(table.c[c] for c in cols)).where(table.c.form_id == form_id)
            ).all()
            for row in rows:
                values: dict[str, str] = {}
                for c, raw in zip(cols, row[1:], strict=True):
                    doc = json.loads(raw) if raw else None
                    if be_years(doc, fields):
                        values[c] = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
                if values:
                    conn.execute(update(table).where(key == row[0]).values(**values))


def _m10_round_links(conn: Connection) -> None:
    import json

    from fieldapp.forms import default_forms

    round_links.create(conn, checkfirst=True)
    for form in default_forms():
        if not form.rounds:
            continue
        prev = form.rounds["previous"]
        rows = conn.execute(
            select(records.c.id, records.c.doc).where(
                records.c.form_id == form.id, records.c.deleted.is_(False), records.c.doc.is_not(None)
            )
        ).all()
        links = [
            {"record_id": rid, "form_id": form.id, "previous_id": str(doc[prev])}
            for rid, raw in rows
            if (doc := json.loads(raw)) and doc.get(prev)
        ]
        if links:
            conn.execute(insert(round_links), links)


MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "initial", _m1_initial),
    (2, "privacy", _m2_privacy),
    (3, "scale", _m3_scale),
    (4, "row ids", _m4_row_ids),
    (5, "display names", _m5_display_names),
    (6, "attachment access", _m6_attachment_access),
    (7, "devices", lambda conn: devices.create(conn, checkfirst=True)),
    (8, "business years in the Buddhist era", _m8_be_years),
    (9, "installed forms", lambda conn: installed_forms.create(conn, checkfirst=True)),
    (10, "round links", _m10_round_links),
    (11, "edit history", lambda conn: record_history.create(conn, checkfirst=True)),
]


def migrate(engine: Engine) -> list[int]:
    """Create or upgrade the schema; returns the migration numbers applied now."""
    applied: list[int] = []
    with engine.begin() as conn:
        if not inspect(conn).has_table("schema_version"):
            done: set[int] = set()
        else:
            done = {r[0] for r in conn.execute(select(schema_version.c.version))}
        for number, name, fn in MIGRATIONS:
            if number in done:
                continue
            fn(conn)
            conn.execute(insert(schema_version).values(version=number, name=name, applied_at=now_iso()))
            applied.append(number)
    return applied


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, poolclass=NullPool, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = FULL")
            cur.execute("PRAGMA foreign_keys = ON")
            cur.execute("PRAGMA busy_timeout = 30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            # writers take the lock up front (no deadlock between two readers upgrading);
            # read-only work opts out with execution_options(readonly=True)
            readonly = conn.get_execution_options().get("readonly", False)
            conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def take_rev_lock(conn: Connection) -> int:
    """Lock the revision counter for this transaction and return its current value."""
    conn.execute(update(counters).where(counters.c.name == "rev").values(value=counters.c.value))
    return int(conn.execute(select(counters.c.value).where(counters.c.name == "rev")).scalar_one())


def set_rev(conn: Connection, value: int) -> None:
    conn.execute(update(counters).where(counters.c.name == "rev").values(value=value))


def current_rev(conn: Connection) -> int:
    return int(conn.execute(select(counters.c.value).where(counters.c.name == "rev")).scalar_one())


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
