# shellcheck shell=bash
# Source this file (bash) to get the tool paths and settings that `make run`
# and `make test` use:  source scripts/env.sh
#
# Every variable keeps a value you exported before sourcing, so one-off
# overrides work: REFLEX_USE_NPM=0 make run.

_accountlink_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Python tools from the project virtualenv; Node 22 from .tools/node when
# bootstrap had to install it (the system Node is older than Reflex needs).
case ":$PATH:" in
  *":$_accountlink_root/.venv/bin:"*) ;;
  *) PATH="$_accountlink_root/.venv/bin:$PATH" ;;
esac
if [ -d "$_accountlink_root/.tools/node/node_modules/.bin" ]; then
  case ":$PATH:" in
    *":$_accountlink_root/.tools/node/node_modules/.bin:"*) ;;
    *) PATH="$_accountlink_root/.tools/node/node_modules/.bin:$PATH" ;;
  esac
fi
export PATH

# Reflex: install frontend packages with npm (its default, bun, would be
# downloaded from GitHub), never phone home, never probe npm mirrors, and keep
# its per-user state (installation id, logs, locks) inside the checkout.
export REFLEX_USE_NPM="${REFLEX_USE_NPM:-1}"
export REFLEX_TELEMETRY_ENABLED="${REFLEX_TELEMETRY_ENABLED:-false}"
export REFLEX_CHECK_LATEST_VERSION="${REFLEX_CHECK_LATEST_VERSION:-false}"
export REFLEX_DIR="${REFLEX_DIR:-$_accountlink_root/.tools/reflex}"
# Reflex reads the upper-case name; npm reads either.
export NPM_CONFIG_REGISTRY="${NPM_CONFIG_REGISTRY:-${npm_config_registry:-https://registry.npmjs.org/}}"
export NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false NPM_CONFIG_UPDATE_NOTIFIER=false

unset _accountlink_root
