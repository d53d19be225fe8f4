"""Command-line commands for privacy: encryption, sign-in, local users, audit, a household's rights.

Added to the ``fieldapp`` parser by ``fieldapp.cli`` (documented in docs/cli.md and
docs/privacy.md). Passphrases come from an environment variable (``FIELDAPP_PASSPHRASE``, or the
one named by ``--passphrase-env``) or a prompt; never from the command line, where other users of
the laptop could see them in the process list.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any

from fieldapp import config, crypto
from fieldapp.errors import AccessError, ValidationError
from fieldapp.store import Store, open_store

PASSPHRASE_ENV = config.PASSPHRASE.name
NEW_PASSPHRASE_ENV = config.NEW_PASSPHRASE.name
RECOVERY_ENV = config.RECOVERY_KEY.name
# commands that unlock the database themselves (or never open it)
SELF_UNLOCKING = {"init", "encrypt", "passphrase", "recover", "forms", None}


def add_global(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--passphrase-env",
        metavar="NAME",
        default=PASSPHRASE_ENV,
        help=f"environment variable holding the passphrase of an encrypted database (default {PASSPHRASE_ENV}); "
        "without it the passphrase is asked for",
    )


def add_parsers(sub: Any) -> None:
    """Add the privacy commands to the main parser's sub-parsers."""
    init = sub.choices["init"]
    init.add_argument("--encrypt", action="store_true", help="create a new, encrypted database")
    init.add_argument(
        "--role", choices=crypto.ROLES, default="area_manager", help="role of the first user (with --encrypt)"
    )
    plain_init = init.get_default("handler")
    init.set_defaults(handler=lambda a: cmd_init_encrypted(a) if a.encrypt else plain_init(a))

    s = sub.add_parser("encrypt", help="encrypt an existing plain database in place (safe to re-run)")
    s.add_argument("--role", choices=crypto.ROLES, default="area_manager", help="role of the first user")
    s.set_defaults(handler=cmd_encrypt)

    s = sub.add_parser("passphrase", help="change your passphrase (the data is not rewritten)")
    s.set_defaults(handler=cmd_passphrase)

    s = sub.add_parser("recover", help="set a new passphrase with the printed recovery key")
    s.add_argument("--role", choices=crypto.ROLES, help="role, when the user is new on this laptop")
    s.add_argument("--new-recovery-key", action="store_true", help="also replace the recovery key (print it)")
    s.set_defaults(handler=cmd_recover)

    u = sub.add_parser("users", help="local users of an encrypted database (sign-in and roles)")
    usub = u.add_subparsers(dest="users_command", metavar="SUBCOMMAND", parser_class=type(u))
    ul = usub.add_parser("list", help="list local users and their roles")
    ul.add_argument("--json", action="store_true")
    ul.set_defaults(handler=cmd_users_list)
    ua = usub.add_parser(
        "add", help="add a local user (their passphrase from FIELDAPP_NEW_PASSPHRASE or a prompt)"
    )
    ua.add_argument("name")
    ua.add_argument("--role", choices=crypto.ROLES, required=True)
    ua.add_argument("--display-name", default="", help="name shown at sign-in")
    ua.set_defaults(handler=cmd_users_add)
    ur = usub.add_parser("remove", help="remove a local user's sign-in")
    ur.add_argument("name")
    ur.set_defaults(handler=cmd_users_remove)
    uk = usub.add_parser("recovery-key", help="make a new recovery key (the old one stops working)")
    uk.set_defaults(handler=cmd_users_recovery_key)
    u.set_defaults(handler=lambda a: _usage(u))

    a = sub.add_parser("audit", help="show the audit trail (who viewed, changed, printed, exported what)")
    a.add_argument("--record", metavar="ID", help="only this record")
    a.add_argument("--limit", type=int, default=100, help="the newest N rows (default 100, 0 = all)")
    a.add_argument("--json", action="store_true")
    a.set_defaults(handler=cmd_audit)

    h = sub.add_parser("household", help="a household's rights: a copy of its data, consent, erasure")
    hsub = h.add_subparsers(dest="household_command", metavar="SUBCOMMAND", parser_class=type(h))
    he = hsub.add_parser("export-data", help="everything held about one household (JSON, and a PDF)")
    he.add_argument("id", help="household record id")
    he.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.json")
    he.add_argument("--pdf", type=Path, metavar="FILE.pdf", help="also the readable case report")
    he.set_defaults(handler=cmd_household_export)
    hw = hsub.add_parser("withdraw-consent", help="record that the household withdrew its consent")
    hw.add_argument("id")
    hw.add_argument(
        "--sensitive-only",
        action="store_true",
        help="only the explicit consent for health/disability data (those answers are cleared)",
    )
    hw.add_argument("--note", help="how the withdrawal was made (e.g. a letter of 3 March)")
    hw.set_defaults(handler=cmd_household_withdraw)
    hx = hsub.add_parser("erase", help="erase (or anonymise) a household and its referrals everywhere")
    hx.add_argument("id")
    hx.add_argument("--anonymise", action="store_true", help="keep statistics, purge personal fields")
    hx.add_argument("--reason", help="why (e.g. the household's request of 3 March)")
    hx.add_argument("--yes", action="store_true", help="do it (without --yes only say what would go)")
    hx.set_defaults(handler=cmd_household_erase)
    h.set_defaults(handler=lambda a: _usage(h))


def _usage(p: argparse.ArgumentParser) -> int:
    p.print_help(sys.stderr)
    return 2


def _db(args: argparse.Namespace) -> Path:
    return config.database_path(args.db)


def read_secret(env: str, prompt: str, *, confirm: bool = False) -> str:
    value = os.environ.get(env)
    if value:
        return value
    if not sys.stdin.isatty():
        raise AccessError("ไม่มีรหัสผ่าน", f"no passphrase: set {env} or run in a terminal")
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("again: ") != first:
        raise ValidationError("รหัสผ่านสองครั้งไม่ตรงกัน", "the two passphrases differ")
    return first


def unlock_for(args: argparse.Namespace) -> None:
    """Sign in before a command when the database is encrypted (the key stays in this process)."""
    if getattr(args, "command", None) in SELF_UNLOCKING:
        return
    path = _db(args)
    if not crypto.is_encrypted(path) or crypto.key_for(path) is not None:
        return
    found = crypto.unlock(path, read_secret(args.passphrase_env, "passphrase: "), args.user)
    if not args.user:
        args.user = found.user
    args.signed_in_role = found.role


def _role(args: argparse.Namespace) -> str | None:
    return getattr(args, "signed_in_role", None)


def _need_manager(args: argparse.Namespace, what_th: str, what_en: str) -> None:
    role = _role(args)
    if role is not None and role not in ("area_manager", "admin"):
        raise AccessError(
            f"{what_th}ได้เฉพาะผู้จัดการพื้นที่หรือผู้ดูแลระบบ",
            f"only an area manager or an admin may {what_en} (you are {role})",
        )


def _print_recovery(code: str, key_id: str) -> None:
    print("")
    print("รหัสกู้คืน (RECOVERY KEY) — พิมพ์เก็บไว้และมอบให้ผู้จัดการพื้นที่ ใช้เปิดฐานข้อมูลเมื่อลืมรหัสผ่าน:")
    print("  print it and give it to the Area Manager; it opens this database if every passphrase is lost")
    print("")
    print(f"    {code}")
    print("")
    print(f"  key id {key_id}")


# ---------------------------------------------------------------------- encryption


def cmd_init_encrypted(args: argparse.Namespace) -> int:
    from fieldapp import encryption

    path = _db(args)
    user = config.author(args.user)
    passphrase = read_secret(args.passphrase_env, f"new passphrase for {user}: ", confirm=True)
    code = encryption.create_encrypted(path, user, args.role, passphrase)
    print(f"database: {path} (encrypted)")
    print(f"user: {user} ({args.role})")
    _print_recovery(code, crypto.KeyFile.load(path).key_id)
    return 0


def cmd_encrypt(args: argparse.Namespace) -> int:
    from fieldapp import encryption

    path = _db(args)
    user = config.author(args.user)
    resuming = crypto.looks_encrypted(path)
    prompt = "passphrase: " if resuming else f"new passphrase for {user}: "
    passphrase = read_secret(args.passphrase_env, prompt, confirm=not resuming)
    res = encryption.encrypt_database(
        path, user, args.role, passphrase, progress=lambda step: print(f"  {step}", file=sys.stderr)
    )
    if res.resumed:
        print(f"{path} was already encrypted; finished the remaining steps")
    else:
        rows = sum(res.tables.values())
        print(
            f"encrypted {path}: {len(res.tables)} tables, {rows:,} rows, checksum {res.checksum[:16]} verified"
        )
    print(f"backups encrypted: {res.backups_encrypted}, attachments encrypted: {res.attachments_encrypted}")
    if res.recovery_code:
        _print_recovery(res.recovery_code, crypto.KeyFile.load(path).key_id)
    return 0


def cmd_passphrase(args: argparse.Namespace) -> int:
    from fieldapp import encryption

    path = _db(args)
    old = read_secret(args.passphrase_env, "current passphrase: ")
    new = read_secret(NEW_PASSPHRASE_ENV, "new passphrase: ", confirm=True)
    who = encryption.change_passphrase(path, args.user, old, new)
    print(f"passphrase of {who} changed (the data was not rewritten)")
    return 0


def cmd_recover(args: argparse.Namespace) -> int:
    from fieldapp import encryption

    path = _db(args)
    user = config.author(args.user)
    code = read_secret(RECOVERY_ENV, "recovery key: ")
    new = read_secret(NEW_PASSPHRASE_ENV, f"new passphrase for {user}: ", confirm=True)
    fresh = encryption.recover(path, code, user, new, role=args.role, new_recovery_key=args.new_recovery_key)
    print(f"new passphrase set for {user}")
    if fresh:
        _print_recovery(fresh, crypto.KeyFile.load(path).key_id)
    return 0


# ---------------------------------------------------------------------- users


def _key(args: argparse.Namespace) -> bytes:
    path = _db(args)
    if not crypto.keys_path(path).exists():
        raise ValidationError(
            "ฐานข้อมูลนี้ไม่ได้เข้ารหัส จึงไม่มีผู้ใช้ในเครื่อง (ใช้ fieldapp encrypt ก่อน)",
            "the database is not encrypted, so it has no local users (run fieldapp encrypt first)",
        )
    key = crypto.key_for(path)
    assert key is not None  # unlock_for signed in
    return key


def cmd_users_list(args: argparse.Namespace) -> int:
    path = _db(args)
    users = crypto.KeyFile.load(path).users() if crypto.keys_path(path).exists() else []
    if args.json:
        print(json.dumps(users, ensure_ascii=False, indent=2))
        return 0
    for u in users:
        print(f"{u['user']}\t{u['role']}\t{crypto.ROLE_NAMES_TH[u['role']]}\t{u['display_name']}")
    return 0


def cmd_users_add(args: argparse.Namespace) -> int:
    from fieldapp import encryption

    key = _key(args)
    _need_manager(args, "เพิ่มผู้ใช้", "add users")
    passphrase = read_secret(NEW_PASSPHRASE_ENV, f"passphrase for {args.name}: ", confirm=True)
    encryption.add_user(
        _db(args), key, args.name, args.role, passphrase, display_name=args.display_name, by=args.user or ""
    )
    print(f"added {args.name} ({args.role})")
    return 0


def cmd_users_remove(args: argparse.Namespace) -> int:
    from fieldapp import encryption

    key = _key(args)
    _need_manager(args, "ลบผู้ใช้", "remove users")
    encryption.remove_user(_db(args), key, args.name, by=args.user or "")
    print(f"removed {args.name}")
    return 0


def cmd_users_recovery_key(args: argparse.Namespace) -> int:
    from fieldapp import encryption

    key = _key(args)
    _need_manager(args, "ออกรหัสกู้คืนใหม่", "make a new recovery key")
    code = encryption.new_recovery_key(_db(args), key, by=args.user or "")
    _print_recovery(code, crypto.KeyFile.load(_db(args)).key_id)
    return 0


# ---------------------------------------------------------------------- audit and rights


def _open(args: argparse.Namespace) -> Store:
    return open_store(_db(args), user=config.author(args.user))


def cmd_audit(args: argparse.Namespace) -> int:
    from fieldapp import audit

    with _open(args) as store:
        rows = audit.entries(store, record_id=args.record)
    if args.limit:
        rows = rows[-args.limit :]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for r in rows:
        detail = json.dumps(r["detail"], ensure_ascii=False) if r["detail"] is not None else ""
        print(
            f"{r['at']}\t{r['user']}\t{r['action']}\t{r['form_id'] or ''}\t{r['record_id'] or ''}\t{detail}"
        )
    return 0


def cmd_household_export(args: argparse.Namespace) -> int:
    from fieldapp import rights

    with _open(args) as store:
        rights.write_export(store, args.id, args.output)
        print(f"wrote {args.output}")
        if args.pdf:
            pages = rights.export_pdf(store, args.id, args.pdf)
            print(f"wrote {args.pdf} ({pages} pages)")
    return 0


def cmd_household_withdraw(args: argparse.Namespace) -> int:
    from fieldapp import rights

    scope = "sensitive" if args.sensitive_only else "all"
    with _open(args) as store:
        rights.withdraw_consent(store, args.id, scope=scope, note=args.note)
    if scope == "all":
        print(
            "consent withdrawal recorded; erase or anonymise the household next unless another lawful basis "
            f"applies: fieldapp household erase {args.id} [--anonymise] --yes"
        )
    else:
        print("explicit consent for health and disability data withdrawn; those answers were cleared")
    return 0


def cmd_household_erase(args: argparse.Namespace) -> int:
    from fieldapp import rights

    _need_manager(args, "ลบข้อมูลครัวเรือน", "erase a household")
    mode = "anonymise" if args.anonymise else "erase"
    with _open(args) as store:
        rec = store.get("household", args.id, include_deleted=True)
        linked = rights.linked_ids(store, "household", rec.id)
        if not args.yes:
            print(
                f"would {mode} household {rec.id} and {len(linked)} linked record(s) on this laptop, in its "
                "backups, and — with the next sync — on the server and every other laptop; add --yes to do it"
            )
            return 1
        out = rights.erase(store, rec.id, mode=mode, reason=args.reason)
    print(
        f"{mode}d {out['records']} record(s); attachments removed {out['attachments_removed']}; "
        f"backups purged {out['backups_purged']}; it goes to the server with the next sync"
    )
    if out["backups_too_old"]:
        print(f"{out['backups_too_old']} backup(s) of an older format still hold it until they age out")
    for name, why in out["backups_failed"].items():
        print(f"error: backup {name} could not be purged and still holds it: {why}", file=sys.stderr)
    return 1 if out["backups_failed"] else 0
