"""The sandbox served inside this process (the demo): one state per process.

The app mounts the sandbox with this state (``asgi.py``) and the demo controls
(``services/demo_controls.py``) change the same object directly, so a fault switched
on in the panel is what the next outbound call meets, with no HTTP to ourselves. The
demo runs one backend process; with several, each would have its own sandbox.
"""

from __future__ import annotations

from functools import lru_cache

from accountlink_ui.sandbox.state import SandboxState


@lru_cache(maxsize=1)
def embedded_sandbox_state() -> SandboxState:
    return SandboxState()
