#!/usr/bin/env bash
# Make sure the end-to-end tests have a Chromium to drive. Playwright's own
# browser download needs hosts this machine cannot reach, so the tests use the
# Debian package (/usr/bin/chromium) or whatever ACCOUNTLINK_CHROMIUM points to.
set -euo pipefail

say() { printf 'ensure_chromium: %s\n' "$*" >&2; }

if [ -n "${ACCOUNTLINK_CHROMIUM:-}" ]; then
  if [ -x "$ACCOUNTLINK_CHROMIUM" ]; then
    exit 0
  fi
  say "ACCOUNTLINK_CHROMIUM=$ACCOUNTLINK_CHROMIUM is not an executable file."
  exit 1
fi

if [ -x /usr/bin/chromium ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  say "installing chromium with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
  [ -x /usr/bin/chromium ] && exit 0
  say "apt-get finished but /usr/bin/chromium is still missing."
  exit 1
fi

cat >&2 <<'MSG'
ensure_chromium: the end-to-end tests need Chromium and /usr/bin/chromium is missing.
  Either install it as root:      sudo apt-get install -y chromium
  or point the tests at one:      export ACCOUNTLINK_CHROMIUM=/path/to/chromium
  (any recent Chromium or Chrome binary works; Playwright's bundled browser
  download is not used).
MSG
exit 1
