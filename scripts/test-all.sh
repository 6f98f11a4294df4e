#!/usr/bin/env bash
# `npm run test:all`: from a fresh clone on a fresh Debian 12 with Node.js 20 and PostgreSQL to
# a full test run. Installs the Debian packages the tests talk to (README "Tests") when
# missing, starts PostgreSQL when it is down, then `npm ci` and `npm test`.
# Runs as root (apt-get, and the PAM test writes to /etc/pam.d).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  freeradius freeradius-utils python3-pyrad libpam-radius-auth pamtester  # RADIUS peers
  socat python3-aiosmtpd python3-gammu openssl                             # gateway peers
  systemd                                                                  # systemd-analyze, systemd-sysusers
  g++ make python3                                                         # better-sqlite3's native module
  slapd ldap-utils                                                         # the directory of the user-store tests
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# PostgreSQL for the shared-store tests (PG_ADMIN_URL points elsewhere if it is not local).
if [[ -z "${PG_ADMIN_URL:-}" ]] && ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  for _ in $(seq 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi

npm ci --no-audit --no-fund
npm test
