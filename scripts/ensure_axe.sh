#!/usr/bin/env bash
# axe-core: the accessibility rules the browser tests inject into each page.
# Installed from the npm registry into .tools/axe once; a no-op afterwards.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
axe_dir="$root/.tools/axe"
if [ ! -f "$axe_dir/node_modules/axe-core/axe.min.js" ]; then
  echo "ensure_axe: installing axe-core into .tools/axe" >&2
  mkdir -p "$axe_dir"
  npm install --prefix "$axe_dir" --no-save --no-package-lock --loglevel=error \
    --registry "${NPM_CONFIG_REGISTRY:-https://registry.npmjs.org/}" axe-core@4.10.3 >&2
fi
