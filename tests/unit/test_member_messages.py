"""Every refusal the members service can give has words, and the words fill in."""

from __future__ import annotations

import inspect
import re

from accountlink_ui.services import members_service
from accountlink_ui.services.members_service import MemberRefused
from accountlink_ui.ui.member_messages import GENERIC, MEMBER_MESSAGES, member_message


def test_every_code_the_service_raises_has_a_sentence() -> None:
    source = inspect.getsource(members_service)
    codes = set(re.findall(r'MemberRefused\(\s*"([a-z_]+)"', source))
    codes |= {f"last_admin_{what}" for what in ("demote", "remove")}
    assert codes, "no codes found: the pattern no longer matches the service"
    assert codes <= set(MEMBER_MESSAGES), sorted(codes - set(MEMBER_MESSAGES))


def test_a_sentence_is_filled_in_and_unknown_codes_get_the_generic_one() -> None:
    message = member_message(MemberRefused("last_admin_demote", email="kari@bf.test"))
    assert message.startswith("kari@bf.test is the last admin")
    assert member_message(MemberRefused("password_short", minimum=12)).endswith(
        "at least 12 characters for your password."
    )
    assert member_message(MemberRefused("<script>")) == GENERIC
