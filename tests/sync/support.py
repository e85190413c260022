"""Helpers for sync tests: drafts that reach the sandbox.

A lost answer (the target stored a batch, the client never heard) is the
sandbox's own ``lost_answer`` fault.
"""

from __future__ import annotations

from accountlink_ui.demo_drafts import business_central_draft, rest_draft, xledger_draft

__all__ = ["business_central_draft", "rest_draft", "xledger_draft"]
