#!/usr/bin/env bash
# Idempotent set-up of a fresh machine for Nexa CRM; quiet, and fast when nothing changed.
#   1. .venv with Python >= 3.11, `pip install -e '.[dev]'` (again only when pyproject.toml changed),
#      and the SDK: `pip install -e ./sdk` (again only when sdk/pyproject.toml changed)
#   2. front-end assets: `npm ci`, then htmx and Swagger UI (for /api/docs) copied into
#      src/nexa/web/static/vendor/; axe-core stays in node_modules (the browser suite's
#      accessibility check injects it; the app never serves it)
#   3. Debian's Chromium for the browser tests (apt-get, when running as root)
#   4. Debian's Dovecot (dovecot-imapd) for the IMAP tests, its own service left stopped, and
#      the unprivileged user `nexamail` that owns the tests' Maildirs (as root)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
VENDOR="$ROOT/src/nexa/web/static/vendor"
LOG="$(mktemp -t nexa-setup.XXXXXX)"
trap 'rm -f "$LOG"' EXIT

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: ERROR: %s\n' "$*" >&2; exit 1; }
quietly() {  # run a command with its output kept aside; show it only when the command fails
  if ! "$@" >"$LOG" 2>&1; then
    tail -n 40 "$LOG" >&2
    die "'$*' failed (last lines above)"
  fi
}
hash_of() { cat "$@" 2>/dev/null | sha256sum | cut -d' ' -f1; }

# ---- 1. Python ---------------------------------------------------------------------------
python_ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1; }

if [[ -x "$VENV/bin/python" ]] && ! python_ok "$VENV/bin/python"; then
  say "the existing .venv has Python < 3.11; building it again"
  rm -rf "$VENV"
fi
if [[ ! -x "$VENV/bin/python" ]]; then
  PYTHON=""
  for candidate in "${NEXA_PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    if [[ -n "$candidate" ]] && command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate"; then
      PYTHON="$(command -v "$candidate")"
      break
    fi
  done
  [[ -n "$PYTHON" ]] || die "Nexa needs Python 3.11 or newer and none was found (tried python3.13, python3.12, python3.11, python3). Install one (Debian: apt-get install python3 python3-venv) or set NEXA_PYTHON=/path/to/python3.11"
  say "creating .venv with $("$PYTHON" --version 2>&1)"
  quietly "$PYTHON" -m venv "$VENV"
fi

STAMP="$VENV/.nexa-installed"
WANT="$(hash_of pyproject.toml)"
if [[ "$(cat "$STAMP" 2>/dev/null)" == "$WANT" ]] && "$VENV/bin/python" -c 'import nexa' >/dev/null 2>&1; then
  say "python packages up to date"
else
  say "installing python packages (pip install -e '.[dev]')"
  quietly "$VENV/bin/python" -m pip install --disable-pip-version-check -q -e '.[dev]'
  echo "$WANT" >"$STAMP"
fi
# the Python SDK (its own distribution, sdk/): editable, so the tests use the checkout's code
SDK_STAMP="$VENV/.nexa-sdk-installed"
SDK_WANT="$(hash_of sdk/pyproject.toml)"
if [[ "$(cat "$SDK_STAMP" 2>/dev/null)" == "$SDK_WANT" ]] && "$VENV/bin/python" -c 'import nexa_sdk' >/dev/null 2>&1; then
  say "python SDK up to date"
else
  say "installing the python SDK (pip install -e ./sdk)"
  quietly "$VENV/bin/python" -m pip install --disable-pip-version-check -q -e ./sdk
  echo "$SDK_WANT" >"$SDK_STAMP"
fi

# ---- 2. front-end assets -----------------------------------------------------------------
if ! command -v npm >/dev/null 2>&1; then
  if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null 2>&1; then
    say "installing Node.js and npm from Debian"
    quietly apt-get update -q
    quietly env DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm
  else
    die "npm is missing; install Node.js and npm (Debian: sudo apt-get install -y nodejs npm) and run this again"
  fi
fi
NPM_STAMP="node_modules/.nexa-installed"
NPM_WANT="$(hash_of package.json package-lock.json)"
if [[ -d node_modules && "$(cat "$NPM_STAMP" 2>/dev/null)" == "$NPM_WANT" ]]; then
  say "npm packages up to date"
else
  if [[ -f package-lock.json ]]; then
    say "installing front-end packages (npm ci)"
    quietly npm ci --no-audit --no-fund
  else
    say "installing front-end packages (npm install)"
    quietly npm install --no-audit --no-fund
  fi
  echo "$NPM_WANT" >"$NPM_STAMP"
fi
mkdir -p "$VENDOR"
copy_asset() {  # copy only when different, so the file keeps its time stamp otherwise
  [[ -s "$1" ]] || die "$1 is missing after npm install"
  cmp -s "$1" "$VENDOR/$2" || cp "$1" "$VENDOR/$2"
}
copy_asset node_modules/htmx.org/dist/htmx.min.js htmx.min.js
# Swagger UI for /api/docs, served from /static like htmx (never a CDN: the docs work offline)
copy_asset node_modules/swagger-ui-dist/swagger-ui-bundle.js swagger-ui-bundle.js
copy_asset node_modules/swagger-ui-dist/swagger-ui.css swagger-ui.css
copy_asset node_modules/swagger-ui-dist/favicon-32x32.png swagger-ui-favicon-32x32.png
[[ -s node_modules/axe-core/axe.min.js ]] || die "node_modules/axe-core/axe.min.js is missing after npm install"
say "front-end assets in src/nexa/web/static/vendor/"

# ---- 3. Chromium for the browser tests ---------------------------------------------------
if [[ -x /usr/bin/chromium ]]; then
  say "chromium present"
elif [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null 2>&1; then
  say "installing Debian's chromium (for the browser tests; takes a minute)"
  quietly apt-get update -q
  quietly env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
else
  say "WARNING: /usr/bin/chromium is missing; the browser tests need it. As root run:"
  say "    apt-get update && apt-get install -y chromium"
fi
# ---- 4. Dovecot for the IMAP tests -------------------------------------------------------
# The tests start their own Dovecot from tests/email/dovecot/dovecot.conf.template on a free
# loopback port; the Debian service is not wanted (nothing may answer on port 143).
if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null 2>&1; then
  if ! command -v dovecot >/dev/null 2>&1 && [[ ! -x /usr/sbin/dovecot ]]; then
    say "installing Debian's dovecot-imapd (for the IMAP tests; its service stays stopped)"
    quietly apt-get update -q
    # policy-rc.d 101: the package's scripts may not start the service
    POLICY=/usr/sbin/policy-rc.d
    HAD_POLICY=0
    [[ -e "$POLICY" ]] && HAD_POLICY=1
    [[ "$HAD_POLICY" == 1 ]] || printf '#!/bin/sh\nexit 101\n' >"$POLICY"
    chmod +x "$POLICY"
    quietly env DEBIAN_FRONTEND=noninteractive apt-get install -y -q dovecot-imapd
    [[ "$HAD_POLICY" == 1 ]] || rm -f "$POLICY"
  fi
  if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
    systemctl disable --now dovecot >/dev/null 2>&1 || true
  elif [[ -f /run/dovecot/master.pid ]]; then
    kill "$(cat /run/dovecot/master.pid)" 2>/dev/null || true  # the package's own instance
  fi
  if ! id nexamail >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin nexamail
  fi
  say "dovecot present (started by the IMAP tests only)"
elif command -v dovecot >/dev/null 2>&1 || [[ -x /usr/sbin/dovecot ]]; then
  say "dovecot present"
else
  say "WARNING: Dovecot is missing; the IMAP tests skip without it. As root run:"
  say "    apt-get update && apt-get install -y dovecot-imapd"
fi
say "done"
