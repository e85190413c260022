"""How many SQL statements the dashboard's data costs as integrations and history grow.

The dashboard lists one organization's integrations (at most one per type, so
1 to 3) with their credentials, figures and recent errors. Its statement count
must not grow with the number of integrations or with the sync history behind
them. This builds an organization with 1, 2 and 3 integrations, each with 1, 10
and 100 failed sync runs, and counts the statements `list_integrations` sends.

Run with ``make bench`` (or ``python bench/dashboard_queries.py``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from sqlalchemy import event, func
from sqlmodel import Session, col, select

from accountlink_ui.db import migrate
from accountlink_ui.integrations.registry import AdapterRegistry, integration_types
from accountlink_ui.models import CredentialVersion, Integration, Role, SyncRun, utcnow
from accountlink_ui.services.wiring import build_services
from accountlink_ui.settings import Settings


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        migrate(url)
        services = build_services(
            Settings(database_url=url, data_dir=Path(tmp)), adapters=AdapterRegistry()
        )
        organization_id = services.auth.create_organization(name="Bench", slug="bench")
        admin = services.auth.create_user(email="a@bench.test", name="Admin", password="x" * 12)
        services.auth.add_membership(
            organization_id=organization_id, user_id=admin.user_id, role=Role.ADMIN
        )
        print(f"{'integrations':>12} {'runs each':>10} {'statements':>11}")
        for count in (1, 2, 3):
            _add_integration(services.engine, organization_id, admin.user_id, count - 1)
            for target in (1, 10, 100):
                _fill_runs(services.engine, organization_id, target)
                statements = _count_statements(
                    services.engine,
                    lambda: services.integrations.list_integrations(admin, organization_id),
                )
                print(f"{count:>12} {target:>10} {statements:>11}")
        services.engine.dispose()


def _count_statements(engine, call) -> int:  # type: ignore[no-untyped-def]
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(statements)


def _add_integration(engine, organization_id: int, user_id: int, index: int) -> None:  # type: ignore[no-untyped-def]
    integration_type = integration_types()[index]
    with Session(engine) as session:
        row = Integration(
            organization_id=organization_id,
            type_key=integration_type.key,
            display_name=integration_type.label,
            environment="sandbox",
            auth_flow=integration_type.default_flow.key,
            settings={},
            status="active",
            created_by_id=user_id,
            updated_by_id=user_id,
        )
        session.add(row)
        session.flush()
        version = CredentialVersion(
            integration_id=row.id or 0,
            version=1,
            key_id="bench",
            wrapped_key=b"-",
            nonce=b"-",
            ciphertext=b"-",
            mask_hint={},
            created_by_id=user_id,
        )
        session.add(version)
        session.flush()
        row.active_credential_version_id = version.id
        session.commit()


def _fill_runs(engine, organization_id: int, per_integration: int) -> None:  # type: ignore[no-untyped-def]
    """Give every integration exactly ``per_integration`` failed runs."""
    with Session(engine) as session:
        counts = dict(
            session.exec(
                select(Integration.id, func.count(col(SyncRun.id)))
                .join(SyncRun, col(SyncRun.integration_id) == Integration.id, isouter=True)
                .group_by(col(Integration.id))
            ).all()
        )
        for integration_id, existing in counts.items():
            for n in range(existing, per_integration):
                session.add(
                    SyncRun(
                        integration_id=integration_id or 0,
                        organization_id=organization_id,
                        trigger="schedule",
                        outcome="failed",
                        finished_at=utcnow(),
                        error_summary=f"bench failure {n}",
                    )
                )
        session.commit()


if __name__ == "__main__":
    main()
