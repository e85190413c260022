"""Organizations and people without the demo (issue 13, part 5).

From an empty (freshly migrated) database: the operator creates an organization and
invites its first admin with the ``accountlink`` CLI; the printed link signs the admin
in once over HTTP (the routes that set the HttpOnly cookie); the admin invites a member,
who signs in and is refused admin pages; the last admin can be neither demoted nor
removed; resets end other sessions; every change is audited.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from argon2 import PasswordHasher
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from accountlink_ui.cli import main
from accountlink_ui.models import AuditEvent
from accountlink_ui.services import auth_service
from accountlink_ui.services.api_token_service import ApiTokenService
from accountlink_ui.services.errors import NotFound, PermissionDenied
from accountlink_ui.services.members_service import MemberRefused, MembersService
from accountlink_ui.services.wiring import Services, get_services
from accountlink_ui.settings import get_settings
from accountlink_ui.views import Actor
from accountlink_ui.web_links import link_routes
from accountlink_ui.web_session import (
    LINK_COOKIE,
    LINK_KEY_COOKIE,
    SESSION_COOKIE,
    SessionKeyMiddleware,
    session_routes,
)

SITE = "http://testserver"
PUBLIC_URL = "https://accountlink.example.org"
PASSWORD = "a long enough passphrase"
_LINK = re.compile(re.escape(PUBLIC_URL) + r"/(invite|reset)/([A-Za-z0-9_-]+)")


@dataclass
class Operator:
    """The CLI and the app's services, against one fresh database."""

    capsys: pytest.CaptureFixture[str]

    def run(self, *argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err

    @property
    def services(self) -> Services:
        return get_services()

    @property
    def members(self) -> MembersService:
        return MembersService(
            engine=self.services.engine, auth=self.services.auth, settings=self.services.settings
        )

    def client(self) -> TestClient:
        """A browser: the link and session routes in front of a stand-in for Reflex."""
        app = Starlette(
            routes=[
                *link_routes(lambda: self.services),
                *session_routes(lambda: self.services),
                Mount("/", app=SessionKeyMiddleware(Starlette())),
            ]
        )
        return TestClient(app, base_url=SITE, follow_redirects=False)

    def audit_actions(self, organization_id: int) -> list[str]:
        from sqlmodel import Session, col, select

        with Session(self.services.engine) as session:
            return list(
                session.exec(
                    select(AuditEvent.action)
                    .where(AuditEvent.organization_id == organization_id)
                    .order_by(col(AuditEvent.id))
                ).all()
            )


@pytest.fixture
def operator(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Operator]:
    monkeypatch.setenv("ACCOUNTLINK_DATABASE_URL", database_url)
    monkeypatch.setenv("ACCOUNTLINK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ACCOUNTLINK_PUBLIC_URL", PUBLIC_URL)
    # Cheap argon2 parameters: these tests are about links and roles, not hashing cost
    # (a hash carries its parameters, so verifying one costs what making it did).
    monkeypatch.setattr(auth_service, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))
    get_settings.cache_clear()
    get_services.cache_clear()
    try:
        yield Operator(capsys)
    finally:
        get_services().engine.dispose()
        get_settings.cache_clear()
        get_services.cache_clear()


def _token(text: str, kind: str = "invite") -> str:
    found = _LINK.search(text)
    assert found is not None, f"no {kind} link in {text!r}"
    assert found.group(1) == kind
    return found.group(2)


def _use(client: TestClient, token: str, kind: str = "invite", **form: str):  # type: ignore[no-untyped-def]
    opened = client.get(f"/{kind}/{token}")
    assert opened.status_code == 303 and opened.headers["location"] == f"/{kind}"
    assert client.cookies.get(LINK_COOKIE) == token
    path = "/auth/accept-invite" if kind == "invite" else "/auth/reset-password"
    return client.post(path, data=form, headers={"Origin": SITE})


def _signed_in_as(operator: Operator, client: TestClient) -> Actor:
    signed_in = operator.services.auth.resolve(client.cookies.get(SESSION_COOKIE))
    assert signed_in is not None, "the answer set no working session cookie"
    return signed_in.actor


def _create_org(operator: Operator) -> int:
    code, out, err = operator.run("org", "create", "--name", "Acme Relief")
    assert code == 0, err
    assert "slug acme-relief" in out
    return operator.members.find_organization("acme-relief").id or 0


def _first_admin(operator: Operator) -> tuple[int, Actor]:
    organization_id = _create_org(operator)
    code, out, err = operator.run(
        "admin", "invite", "--org", "acme-relief", "--email", "Boss@Acme.test"
    )
    assert code == 0, err
    with operator.client() as browser:
        answer = _use(browser, _token(out), name="Berit Boss", password=PASSWORD, confirm=PASSWORD)
        assert answer.status_code == 200, answer.text
        return organization_id, _signed_in_as(operator, browser)


def test_from_an_empty_database_the_cli_link_signs_the_first_admin_in_once(
    operator: Operator,
) -> None:
    organization_id = _create_org(operator)
    code, out, err = operator.run(
        "admin", "invite", "--org", "acme-relief", "--email", "boss@acme.test"
    )
    assert code == 0, err
    token = _token(out)
    assert "works once, until" in out

    with operator.client() as browser:
        answer = _use(browser, token, name="Berit Boss", password=PASSWORD, confirm=PASSWORD)
        assert answer.status_code == 200, answer.text
        assert answer.json()["next"] == "/settings/integrations"
        cookies = [v for k, v in answer.headers.multi_items() if k == "set-cookie"]
        session_cookie = next(c for c in cookies if c.startswith(f"{SESSION_COOKIE}="))
        assert "httponly" in session_cookie.lower() and "samesite=strict" in session_cookie.lower()
        assert any(c.startswith(f'{LINK_COOKIE}=""') for c in cookies), "link cookie cleared"
        admin = _signed_in_as(operator, browser)
    assert (admin.email, admin.name) == ("boss@acme.test", "Berit Boss")
    view = operator.members.list_members(admin, organization_id)  # an admin's page
    assert [(m.email, m.role) for m in view.members] == [("boss@acme.test", "admin")]

    with operator.client() as second_browser:
        again = _use(second_browser, token, name="Mallory", password=PASSWORD, confirm=PASSWORD)
        assert again.status_code == 400
        assert again.json() == {"error": "link_used"}
        assert SESSION_COOKIE not in second_browser.cookies
    assert operator.services.auth.sign_in("boss@acme.test", PASSWORD).actor == admin
    assert operator.audit_actions(organization_id) == [
        "organization.created",
        "member.invited",
        "member.joined",
    ]


def test_the_admin_invites_a_member_who_signs_in_and_is_refused_admin_pages(
    operator: Operator,
) -> None:
    organization_id, admin = _first_admin(operator)
    link = operator.members.invite(admin, organization_id, "ola@acme.test", "member")
    assert not link.emailed  # no SMTP configured: the admin hands the link over
    with operator.client() as browser:
        answer = _use(browser, _token(link.url), name="Ola", password=PASSWORD, confirm=PASSWORD)
        assert answer.status_code == 200, answer.text
        member = _signed_in_as(operator, browser)
    assert [
        (m.organization_id, m.role)
        for m in operator.services.auth.sign_in("ola@acme.test", PASSWORD).memberships
    ] == [(organization_id, "member")]
    with pytest.raises(PermissionDenied, match="Only organization admins"):
        operator.members.list_members(member, organization_id)
    with pytest.raises(PermissionDenied):
        operator.services.integrations.list_integrations(member, organization_id)
    with pytest.raises(PermissionDenied):
        ApiTokenService(engine=operator.services.engine).list_tokens(member, organization_id)
    with pytest.raises(PermissionDenied):
        operator.members.invite(member, organization_id, "friend@acme.test", "admin")
    with pytest.raises(PermissionDenied):
        operator.members.change_role(member, organization_id, member.user_id, "admin")


def test_the_last_admin_can_be_neither_demoted_nor_removed(operator: Operator) -> None:
    organization_id, admin = _first_admin(operator)
    with pytest.raises(MemberRefused) as demoted:
        operator.members.change_role(admin, organization_id, admin.user_id, "member")
    assert demoted.value.code == "last_admin_demote"
    with pytest.raises(MemberRefused) as removed:
        operator.members.remove_member(admin, organization_id, admin.user_id)
    assert removed.value.code == "last_admin_remove"
    assert [m.role for m in operator.members.list_members(admin, organization_id).members] == [
        "admin"
    ]

    # With a second admin, either may step down; then the other is the last again.
    link = operator.members.invite(admin, organization_id, "second@acme.test", "member")
    with operator.client() as browser:
        _use(browser, _token(link.url), name="Sigrid", password=PASSWORD, confirm=PASSWORD)
        second = _signed_in_as(operator, browser)
    assert operator.members.change_role(admin, organization_id, second.user_id, "admin").role == (
        "admin"
    )
    assert operator.members.change_role(admin, organization_id, admin.user_id, "member").role == (
        "member"
    )
    with pytest.raises(MemberRefused, match="last_admin_remove"):
        operator.members.remove_member(second, organization_id, second.user_id)
    assert operator.members.remove_member(second, organization_id, admin.user_id).email == (
        "boss@acme.test"
    )
    assert operator.services.auth.sign_in("boss@acme.test", PASSWORD).memberships == ()
    assert operator.audit_actions(organization_id)[-3:] == [
        "member.role_changed",
        "member.role_changed",
        "member.removed",
    ]


def test_an_admin_of_another_organization_cannot_touch_these_people(operator: Operator) -> None:
    organization_id, admin = _first_admin(operator)
    operator.run("org", "create", "--name", "Other Org")
    code, out, _ = operator.run("admin", "invite", "--org", "other-org", "--email", "o@other.test")
    assert code == 0
    with operator.client() as browser:
        _use(browser, _token(out), name="Otto", password=PASSWORD, confirm=PASSWORD)
        outsider = _signed_in_as(operator, browser)
    for attempt in (
        lambda: operator.members.list_members(outsider, organization_id),
        lambda: operator.members.change_role(outsider, organization_id, admin.user_id, "member"),
        lambda: operator.members.remove_member(outsider, organization_id, admin.user_id),
        lambda: operator.members.reset_link_for(outsider, organization_id, admin.user_id),
        lambda: operator.members.invite(outsider, organization_id, "x@acme.test", "admin"),
    ):
        with pytest.raises(NotFound):
            attempt()
    # Its own admin cannot reach into this organization through a person either.
    with pytest.raises(MemberRefused, match="account_elsewhere"):
        operator.members.invite(outsider, _other(operator), "boss@acme.test", "member")


def _other(operator: Operator) -> int:
    return operator.members.find_organization("other-org").id or 0


def test_bad_input_is_refused_with_a_reason_and_changes_nothing(operator: Operator) -> None:
    organization_id, admin = _first_admin(operator)
    for email, code in (("", "email_missing"), ("not-an-email", "email_invalid")):
        with pytest.raises(MemberRefused) as refused:
            operator.members.invite(admin, organization_id, email, "member")
        assert refused.value.code == code
    with pytest.raises(MemberRefused, match="role_invalid"):
        operator.members.invite(admin, organization_id, "a@acme.test", "owner")
    with pytest.raises(MemberRefused, match="already_member"):
        operator.members.invite(admin, organization_id, "BOSS@acme.test", "member")
    link = operator.members.invite(admin, organization_id, "new@acme.test", "member")
    with operator.client() as browser:
        for form, code in (
            ({"name": "", "password": PASSWORD, "confirm": PASSWORD}, "name_missing"),
            ({"name": "N", "password": "short", "confirm": "short"}, "password_short"),
            ({"name": "N", "password": PASSWORD, "confirm": PASSWORD + "x"}, "password_mismatch"),
            ({"name": "N", "password": "new@acme.test", "confirm": "new@acme.test"}, None),
        ):
            answer = _use(browser, _token(link.url), **form)
            assert answer.status_code == 400
            assert answer.json()["error"] == (code or "password_is_email")
        assert operator.members.describe_link("invitation", _key(link.url)).problem == ""
        assert SESSION_COOKIE not in browser.cookies
    code, _, err = operator.run("admin", "invite", "--org", "nowhere", "--email", "a@b.test")
    assert code == 1 and "No organization has the short name or id 'nowhere'" in err
    code, _, err = operator.run("org", "create", "--name", "Acme Relief")
    assert code == 1 and "already exists" in err
    assert operator.members.list_members(admin, organization_id).invitations[0].email == (
        "new@acme.test"
    )


def _key(url: str) -> str:
    import hashlib

    return hashlib.sha256(urlsplit(url).path.rpartition("/")[2].encode()).hexdigest()


def test_expired_and_replaced_links_are_refused(operator: Operator) -> None:
    organization_id, admin = _first_admin(operator)
    first = operator.members.invite(admin, organization_id, "late@acme.test", "member")
    second = operator.members.invite(admin, organization_id, "late@acme.test", "member")
    assert operator.members.describe_link("invitation", _key(first.url)).problem == "link_revoked"
    later = datetime.now(UTC) + timedelta(hours=73)
    expired = MembersService(
        engine=operator.services.engine,
        auth=operator.services.auth,
        settings=operator.services.settings,
        clock=lambda: later,
    )
    with pytest.raises(MemberRefused, match="link_expired"):
        expired.accept_invitation(_token(second.url), "Late", PASSWORD, PASSWORD)
    assert operator.members.describe_link("invitation", "0" * 64).problem == "link_unknown"
    assert operator.members.describe_link("password_reset", _key(second.url)).problem == (
        "link_unknown"
    ), "an invitation is not a reset link"


def test_a_reset_link_sets_a_new_password_and_ends_every_other_session(
    operator: Operator,
) -> None:
    organization_id, admin = _first_admin(operator)
    elsewhere = operator.services.auth.sign_in("boss@acme.test", PASSWORD)
    assert operator.services.auth.resolve(elsewhere.token) is not None
    code, out, err = operator.run("admin", "reset-link", "--email", "boss@acme.test")
    assert code == 0, err
    new_password = "another long passphrase"
    with operator.client() as browser:
        answer = _use(
            browser, _token(out, "reset"), "reset", password=new_password, confirm=new_password
        )
        assert answer.status_code == 200, answer.text
        assert _signed_in_as(operator, browser) == admin
    assert operator.services.auth.resolve(elsewhere.token) is None, "old sessions end"
    with pytest.raises(Exception, match="do not match"):
        operator.services.auth.sign_in("boss@acme.test", PASSWORD)
    assert operator.services.auth.sign_in("boss@acme.test", new_password).actor == admin
    with operator.client() as browser:
        again = _use(
            browser, _token(out, "reset"), "reset", password=new_password, confirm=new_password
        )
        assert again.json() == {"error": "link_used"}
    assert "member.password_reset" in operator.audit_actions(organization_id)
    code, _, err = operator.run("admin", "reset-link", "--email", "nobody@acme.test")
    assert code == 1 and "No account" in err


def test_forgot_password_answers_alike_and_emails_only_an_account(
    operator: Operator,
) -> None:
    organization_id, admin = _first_admin(operator)
    sent: list[dict[str, str]] = []

    def send(**message: str) -> bool:
        sent.append(message)
        return True

    mailing = MembersService(
        engine=operator.services.engine,
        auth=operator.services.auth,
        settings=operator.services.settings,
        send_mail=send,
    )
    mailing.request_reset("nobody@acme.test")
    mailing.request_reset("not an email")
    assert sent == []
    mailing.request_reset("Boss@acme.test")
    mailing.request_reset("boss@acme.test")  # within a minute: no second email
    assert [m["to"] for m in sent] == ["boss@acme.test"]
    token = _token(sent[0]["body"], "reset")
    view = operator.members.describe_link("password_reset", _key(f"/reset/{token}"))
    assert (view.email, view.problem) == ("boss@acme.test", "")
    assert token not in str(operator.audit_actions(organization_id))

    # Over HTTP the answer is the same for an account, a stranger and nonsense.
    with operator.client() as browser:
        answers = {
            email: browser.post(
                "/auth/forgot-password", data={"email": email}, headers={"Origin": SITE}
            )
            for email in ("boss@acme.test", "nobody@acme.test", "")
        }
    assert {(a.status_code, a.text) for a in answers.values()} == {(200, '{"ok":true}')}

    # Without SMTP, the admin makes a reset link for a member on the Members page.
    link = operator.members.invite(admin, organization_id, "m@acme.test", "member")
    with operator.client() as browser:
        _use(browser, _token(link.url), name="M", password=PASSWORD, confirm=PASSWORD)
        member = _signed_in_as(operator, browser)
    reset = operator.members.reset_link_for(admin, organization_id, member.user_id)
    assert reset.url.startswith(f"{PUBLIC_URL}/reset/") and not reset.emailed


def test_the_link_token_never_reaches_reflex(operator: Operator) -> None:
    """The stand-in for Reflex sees the link's SHA-256 only, like the session's."""
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def echo(request: Request) -> JSONResponse:
        return JSONResponse({"cookie": request.headers.get("cookie", "")})

    app = Starlette(
        routes=[
            *link_routes(lambda: operator.services),
            Mount("/", app=SessionKeyMiddleware(Starlette(routes=[Route("/echo", echo)]))),
        ]
    )
    with TestClient(app, base_url=SITE, follow_redirects=False) as browser:
        browser.get("/invite/some-token-value-0123456789")
        browser.cookies.set(LINK_KEY_COOKIE, "f" * 64)  # a forged key is dropped
        seen = browser.get("/echo").json()["cookie"]
    assert "some-token-value" not in seen
    assert seen == f"{LINK_KEY_COOKIE}={_key('/invite/some-token-value-0123456789')}"
