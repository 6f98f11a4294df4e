#!/usr/bin/env bash
# `npm test`: from a fresh clone on a fresh Debian 12 with Node.js 20 and PostgreSQL to a full
# test run, and the same command on a developer's checkout. Installs the Debian packages the
# tests talk to (docs/development.md, "Tests") when missing, starts PostgreSQL when it is down, runs
# `npm ci` when node_modules is missing or older than package-lock.json, then builds,
# type-checks the tests, looks for dead code (knip) and runs the whole suite (arguments go to
# vitest).
# Runs as root (apt-get, and the PAM test writes to /etc/pam.d).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  freeradius freeradius-utils python3-pyrad libpam-radius-auth pamtester  # RADIUS peers
  ocserv openconnect                                                       # a radcli NAS and its VPN client
  socat python3-aiosmtpd python3-gammu openssl                             # gateway peers
  systemd                                                                  # systemd-analyze, systemd-sysusers
  g++ make python3                                                         # better-sqlite3's native module
  slapd ldap-utils                                                         # the directory of the user-store tests
  groff-base man-db                                                        # the man page renders (test/unit/man-page.test.ts)
  jq iproute2                                                              # the docs' examples as written (jq), their namespaces' loopback (ip)
  openvpn openvpn-auth-radius                                              # OpenVPN as a NAS (auth and accounting)
  dpkg-dev debootstrap                                                     # the Debian package: dpkg-shlibdeps, a Debian 12 root
  mariadb-server                                                           # migrate privacyidea from a MySQL database (test/e2e/migrate-privacyidea-mysql)
  chromium firefox-esr fonts-dejavu-core                                   # the web UI's end-to-end tests (real browsers, no download)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if ((EUID != 0)); then
    echo "npm test: missing Debian packages; as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
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

# MariaDB, where installed, for `migrate privacyidea` from a MySQL database (the test skips without it).
if [[ -x /usr/sbin/mariadbd ]] && ! mariadb-admin -h 127.0.0.1 -u root ping >/dev/null 2>&1; then
  echo "starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  for _ in $(seq 30); do mariadb-admin -h 127.0.0.1 -u root ping >/dev/null 2>&1 && break; sleep 1; done
fi

# Dependencies: installed from the lock file when there are none or the lock file changed.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi

npm run build
npx tsc -p test/tsconfig.json
# Dead code (knip.json): an export, type, class member or file nothing outside the tests uses.
npx knip --production --include exports,types,classMembers,files,duplicates --no-progress
exec node scripts/run-tests.mjs "$@"
