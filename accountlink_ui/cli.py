"""`accountlink ...`: operator commands (migrate, organizations and their people, seed the demo,
rotate keys, test, sandbox)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from accountlink_ui.settings import get_settings

if TYPE_CHECKING:
    # Imported where used: the CLI starts fast and loads only what a command needs.
    from accountlink_ui.services.errors import ServiceError
    from accountlink_ui.services.members_service import IssuedLink, MembersService


def _migrate(_: argparse.Namespace) -> int:
    from accountlink_ui.db import display_url, migrate

    result = migrate()
    where = display_url(get_settings().resolved_database_url)
    if result.applied:
        print(f"Migrated {where}: {result.before or 'empty'} -> {result.after}")
    else:
        print(f"Database is at the newest migration: {where}")
    return 0


def _check_production(_: argparse.Namespace) -> int:
    from accountlink_ui.production import ProductionRefused, check_production

    settings = get_settings()
    try:
        check_production(settings)
    except ProductionRefused as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"ACCOUNTLINK_ENV={settings.env}: nothing refused.")
    return 0


def _seed_demo(_: argparse.Namespace) -> int:
    from accountlink_ui.demo import DEMO_PASSWORD, DEMO_USERS, seed_demo
    from accountlink_ui.services.wiring import get_services

    if get_settings().production:
        print(
            "seed-demo: refused, ACCOUNTLINK_ENV=production never holds demo data.", file=sys.stderr
        )
        return 2
    created = seed_demo(get_services())
    print("Seeded: " + (", ".join(created) if created else "nothing new (demo already there)"))
    for person in DEMO_USERS:
        print(f"  {person.email:34} {person.role.value:7} password: {DEMO_PASSWORD}")
    if get_services().settings.demo:
        from accountlink_ui.demo import DEMO_API_TOKEN

        print(f"  demo API token (Blindeforbundet, demo only): {DEMO_API_TOKEN}")
    return 0


def _rotate_keys(args: argparse.Namespace) -> int:
    from accountlink_ui.services.key_rotation import WAITING_MESSAGE, rotate_master_key
    from accountlink_ui.services.wiring import get_services
    from accountlink_ui.vault import VaultError

    def waiting() -> None:
        print(WAITING_MESSAGE, file=sys.stderr, flush=True)

    try:
        report = rotate_master_key(get_services(), retire_old=args.retire_old, on_wait=waiting)
    except VaultError as exc:
        print(f"Key rotation: {exc}", file=sys.stderr)
        return 1
    print(report)
    return 0


def _generate_key(_: argparse.Namespace) -> int:
    import base64

    from accountlink_ui.vault.keyring import ENV_VAR, MasterKey

    key = MasterKey.generate()
    print(
        f"# A new master key. Keep it in your secret store; {ENV_VAR} takes a comma-separated\n"
        "# list, oldest first. Nothing was written to disk.",
        file=sys.stderr,
    )
    print(f"{key.key_id}:{base64.b64encode(key.key).decode('ascii')}")
    return 0


def _test_connection(args: argparse.Namespace) -> int:
    from accountlink_ui.services.wiring import get_services

    result = get_services().integrations.test_stored(args.integration_id)
    status = "OK" if result.ok else "FAILED"
    print(f"{status} in {result.latency_ms} ms: {result.message}")
    if result.reached:
        print(f"Reached: {result.reached}")
    if result.fields:
        print(f"Fields at fault: {', '.join(result.fields)}")
    return 0 if result.ok else 1


def _sandbox(args: argparse.Namespace) -> int:
    from accountlink_ui.sandbox.server import serve

    serve(host=args.host, port=args.port)
    return 0


def _members() -> MembersService:
    from accountlink_ui.services.members_service import members_service
    from accountlink_ui.services.wiring import get_services

    return members_service(get_services())


def _refused(exc: ServiceError) -> int:
    from accountlink_ui.ui.member_messages import member_message

    print(member_message(exc), file=sys.stderr)
    return 1


def _org_create(args: argparse.Namespace) -> int:
    from accountlink_ui.services.errors import ServiceError

    try:
        organization = _members().create_organization(args.name, args.slug or "")
    except ServiceError as exc:
        return _refused(exc)
    print(
        f"Created organization {organization.name!r} (id {organization.id}, slug {organization.slug})"
    )
    print(f"Next: accountlink admin invite --org {organization.slug} --email <first admin>")
    return 0


def _print_link(link: IssuedLink, what: str) -> None:
    print(f"{what} for {link.email}; works once, until {link.expires_at:%Y-%m-%d %H:%M} UTC:")
    print(link.url)


def _admin_invite(args: argparse.Namespace) -> int:
    from accountlink_ui.services.errors import ServiceError

    members = _members()
    try:
        organization = members.find_organization(args.org)
        link = members.operator_invite(organization.id or 0, args.email, args.role)
    except ServiceError as exc:
        return _refused(exc)
    _print_link(link, f"Invitation to {organization.name} as {args.role}")
    return 0


def _admin_reset_link(args: argparse.Namespace) -> int:
    from accountlink_ui.services.errors import ServiceError

    try:
        link = _members().operator_reset_link(args.email)
    except ServiceError as exc:
        return _refused(exc)
    _print_link(link, "Password reset link")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="accountlink", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply database migrations").set_defaults(run=_migrate)
    commands.add_parser("seed-demo", help="create the demo organizations and users").set_defaults(
        run=_seed_demo
    )
    commands.add_parser(
        "check-production",
        help="with ACCOUNTLINK_ENV=production, list every setting production refuses",
    ).set_defaults(run=_check_production)
    keys = commands.add_parser("keys", help="master key operations")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    rotate = key_commands.add_parser("rotate", help="add a master key and re-wrap every data key")
    rotate.add_argument(
        "--retire-old",
        action="store_true",
        help="drop the older keys once every credential opens with the new key alone",
    )
    rotate.set_defaults(run=_rotate_keys)
    key_commands.add_parser(
        "generate", help="print a new master key for ACCOUNTLINK_MASTER_KEYS (writes nothing)"
    ).set_defaults(run=_generate_key)
    test = commands.add_parser("test-connection", help="test a saved integration's connection")
    test.add_argument("integration_id", type=int)
    test.set_defaults(run=_test_connection)
    org = commands.add_parser("org", help="organizations")
    org_commands = org.add_subparsers(dest="org_command", required=True)
    org_create = org_commands.add_parser("create", help="create an organization")
    org_create.add_argument("--name", required=True, help="the organization's name")
    org_create.add_argument("--slug", default="", help="short name (default: from the name)")
    org_create.set_defaults(run=_org_create)
    admin = commands.add_parser("admin", help="people: invitations and password reset links")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True)
    invite = admin_commands.add_parser(
        "invite", help="print a one-time sign-in link that makes someone an admin (or member)"
    )
    invite.add_argument("--org", required=True, help="the organization's slug or id")
    invite.add_argument("--email", required=True)
    invite.add_argument("--role", choices=["admin", "member"], default="admin")
    invite.set_defaults(run=_admin_invite)
    reset = admin_commands.add_parser("reset-link", help="print a one-time password reset link")
    reset.add_argument("--email", required=True)
    reset.set_defaults(run=_admin_reset_link)
    sandbox = commands.add_parser("sandbox", help="serve the sandbox external systems alone")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8765)
    sandbox.set_defaults(run=_sandbox)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from accountlink_ui.redaction import install_log_scrubbing

    install_log_scrubbing()
    args = build_parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
