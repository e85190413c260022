"""`accountlink ...`: operator commands (migrate, seed the demo, rotate keys, test, sandbox)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from accountlink_ui.settings import get_settings


def _migrate(_: argparse.Namespace) -> int:
    from accountlink_ui.db import display_url, migrate

    migrate()
    print(
        f"Database is at the newest migration: {display_url(get_settings().resolved_database_url)}"
    )
    return 0


def _seed_demo(_: argparse.Namespace) -> int:
    from accountlink_ui.demo import DEMO_PASSWORD, DEMO_USERS, seed_demo
    from accountlink_ui.services.wiring import get_services

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="accountlink", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply database migrations").set_defaults(run=_migrate)
    commands.add_parser("seed-demo", help="create the demo organizations and users").set_defaults(
        run=_seed_demo
    )
    keys = commands.add_parser("keys", help="master key operations")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    rotate = key_commands.add_parser("rotate", help="add a master key and re-wrap every data key")
    rotate.add_argument(
        "--retire-old",
        action="store_true",
        help="drop the older keys once every credential opens with the new key alone",
    )
    rotate.set_defaults(run=_rotate_keys)
    test = commands.add_parser("test-connection", help="test a saved integration's connection")
    test.add_argument("integration_id", type=int)
    test.set_defaults(run=_test_connection)
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
