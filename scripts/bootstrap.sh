#!/usr/bin/env bash
# Install what `make run` and `make test` need, skipping whatever is already
# in place: the Python virtualenv (.venv) with the project and its dev extras,
# and Node.js 22 (.tools/node) when the system Node is older than Reflex
# requires. A second run takes well under a second.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/env.sh
source scripts/env.sh

# Node.js version Reflex 0.10 requires (reflex_base.constants.Node.MIN_VERSION)
# and the exact one installed from the npm registry when the system's is older.
node_min="22.22.0"
node_pkg="node@22.23.3"

say() { printf 'bootstrap: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# "a.b.c" >= "x.y.z"?
version_at_least() {
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

ensure_venv() {
  if [ ! -x .venv/bin/python ]; then
    command -v python3 >/dev/null || die "python3 not found; install Python >= 3.11."
    python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
      || die "python3 is $(python3 -V 2>&1 | cut -d' ' -f2); AccountLink needs Python >= 3.11."
    say "creating .venv with $(python3 -V 2>&1)"
    python3 -m venv .venv
  fi

  # Reinstall when pyproject.toml changes or the project is not installed yet
  # (a .venv made by hand may hold the dependencies but not the project).
  local stamp=.venv/.accountlink-install.sha256 want have=""
  want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
  [ -f "$stamp" ] && have="$(cat "$stamp")"
  if [ "$want" != "$have" ] || [ ! -x .venv/bin/accountlink ]; then
    say "installing the project and its dev dependencies into .venv"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
    printf '%s\n' "$want" >"$stamp"
  fi
}

ensure_node() {
  local current=""
  command -v node >/dev/null && current="$(node --version 2>/dev/null | sed 's/^v//')"
  if [ -n "$current" ] && version_at_least "$current" "$node_min"; then
    return
  fi
  command -v npm >/dev/null \
    || die "Node.js >= $node_min is required and npm is not available to install it; install Node.js $node_min or newer."
  say "Node.js ${current:-(none)} is older than $node_min; installing $node_pkg into .tools/node"
  rm -rf .tools/node
  mkdir -p .tools/node
  npm install --prefix .tools/node --no-save --no-package-lock --loglevel=error "$node_pkg" >&2
  # env.sh adds .tools/node to PATH only when it exists: load it again.
  source scripts/env.sh
  current="$(node --version 2>/dev/null | sed 's/^v//')"
  version_at_least "${current:-0}" "$node_min" \
    || die "installed $node_pkg but 'node --version' reports '${current:-nothing}'; check the npm output above."
}

ensure_venv
ensure_node
