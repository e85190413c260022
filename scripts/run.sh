#!/usr/bin/env bash
# Start AccountLink the way `make run` does: bring the database schema up to
# date, load the demo organizations, then serve the production build of the
# app (frontend and backend on one port) until Ctrl-C.
#
# Usage: scripts/run.sh [PORT]      (default 8000)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/env.sh
source scripts/env.sh

port="${1:-8000}"

if ! python -c 'import accountlink_ui.cli' 2>/dev/null; then
  cat >&2 <<'MSG'
run: the operator CLI (accountlink_ui/cli.py, the `accountlink` command) is missing
     or fails to import, so the database cannot be migrated and seeded.
     Check: .venv/bin/python -c 'import accountlink_ui.cli'
MSG
  exit 1
fi

# The demo: seeded organizations, and the sandbox external systems served by
# the app itself under /sandbox, with every external base URL pointing there.
# Export ACCOUNTLINK_SANDBOX_URL="" and the real endpoints to use real systems.
# (ACCOUNTLINK_ENV=production refuses all three: that is `make serve`.)
export ACCOUNTLINK_ENV="${ACCOUNTLINK_ENV:-demo}"
export ACCOUNTLINK_DEMO="${ACCOUNTLINK_DEMO:-1}"
export ACCOUNTLINK_MOUNT_SANDBOX="${ACCOUNTLINK_MOUNT_SANDBOX:-1}"
export ACCOUNTLINK_SANDBOX_URL="${ACCOUNTLINK_SANDBOX_URL-http://127.0.0.1:$port/sandbox}"

accountlink migrate
accountlink seed-demo

echo "run: starting AccountLink on http://localhost:$port (first build takes ~20 s)" >&2
exec reflex run --env prod --frontend-port "$port" --backend-port "$port"
