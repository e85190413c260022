#!/usr/bin/env bash
# Start AccountLink for real, the way `make serve` does: production mode
# (ACCOUNTLINK_ENV=production), PostgreSQL, Reflex's state in Redis, several
# backend workers, no sandbox and no demo data. Refuses to start, naming the
# setting, when anything below is missing or unsafe.
#
# Required environment (see README "Production"):
#   ACCOUNTLINK_DATABASE_URL   postgresql+psycopg://user:pass@host:5432/accountlink
#   REFLEX_REDIS_URL           redis://host:6379/0
#   ACCOUNTLINK_MASTER_KEYS    id:base64key[,id:base64key...]   (or ACCOUNTLINK_MASTER_KEY_FILE)
#   ACCOUNTLINK_METRICS_TOKEN  the bearer token Prometheus sends to scrape /metrics
# Optional:
#   PROMETHEUS_MULTIPROC_DIR   where the workers pool their metrics (default: a
#                              directory under the data dir, emptied at each start)
#   GRANIAN_WORKERS            backend workers (default: one per core)
#   REFLEX_API_URL             the public URL the browser reaches the app at, when it is not
#                              https on the default port (e.g. http://accountlink.lan:8000)
#
# Usage: scripts/serve.sh [PORT]      (default 8000)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/env.sh
source scripts/env.sh

port="${1:-8000}"
export ACCOUNTLINK_ENV=production

missing=()
[ -n "${ACCOUNTLINK_DATABASE_URL:-}" ] || missing+=("ACCOUNTLINK_DATABASE_URL (postgresql+psycopg://user:password@host:5432/accountlink)")
[ -n "${REFLEX_REDIS_URL:-}" ] || missing+=("REFLEX_REDIS_URL (redis://host:6379/0): workers share browser sessions through it")
if [ ${#missing[@]} -gt 0 ]; then
  echo "serve: refused, set:" >&2
  printf '  - %s\n' "${missing[@]}" >&2
  exit 2
fi
case "$ACCOUNTLINK_DATABASE_URL" in
  postgresql*) ;;
  *) echo "serve: refused, ACCOUNTLINK_DATABASE_URL must be PostgreSQL (postgresql+psycopg://...)" >&2; exit 2 ;;
esac

# One worker per core. A Reflex worker is an asyncio process: I/O waits do not block
# it, so gunicorn's 2*cores+1 (Reflex's default with Redis, meant for workers that
# block) only adds memory and contention for each tab's state lock, and Granian
# itself warns when workers outnumber cores.
export GRANIAN_WORKERS="${GRANIAN_WORKERS:-$cores}"

# Every worker writes its metrics here and a scrape served by any of them adds them
# all up; values left by a previous run would be counted again, so it starts empty.
export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-${ACCOUNTLINK_DATA_DIR:-$root/.accountlink}/prometheus}"
rm -rf "$PROMETHEUS_MULTIPROC_DIR"
mkdir -p "$PROMETHEUS_MULTIPROC_DIR"

# Refuse before building anything: demo switches, a missing key, SQLite under workers.
accountlink check-production
# Every worker migrates on start too (under an advisory lock); doing it once here
# fails early with a readable error instead of in every worker's log.
accountlink migrate

echo "serve: AccountLink on port $port with $GRANIAN_WORKERS workers (the frontend build takes a minute)" >&2
exec reflex run --env prod --frontend-port "$port" --backend-port "$port"
