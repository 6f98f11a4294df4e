// The Debian package as an operator meets it (docs/install.md), in a throw-away Debian 12 root
// (test/helpers/debian-root.ts: debootstrap once, cached; dpkg and the maintainer scripts run
// inside with chroot): `npm run package:deb` builds it, dpkg installs it, `check` refuses the
// unconfigured node, the operator configures a client, enrolls a token as root (the CLI acts
// as the service user: the files keep its owner), the daemon started as its unit says serves
// a radclient login, a newer build is installed over it (its migration runs, the token and
// its counter are kept), the login works again, remove keeps the configuration, purge does not.
//
// What a chroot cannot show: no systemd runs, so the daemon is started with runuser from the
// unit's User=, Environment= and ExecStart= (postinst's try-restart would do it), and Debian
// 12's own nodejs is 18.x, below the package's Depends: the host's node (NodeSource 20.x) is
// installed as a package named nodejs, as NodeSource's repository provides it.
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOTSTRAP_TIMEOUT_MS, DebianRoot, hostNodePackage } from '../helpers/debian-root.js';
import { freeTcpPort, freeUdpPort } from '../helpers/daemon.js';
import { ROOT, RFC4226_KEY, tempDir } from '../helpers/fs.js';
import type { RunningProcess } from '../helpers/process.js';
import { radclient } from '../helpers/radius-clients.js';

const run = promisify(execFile);
const BUILD_TIMEOUT_MS = 900_000; // better-sqlite3 compiled from source: 1.5 CPU minutes, more on a busy machine
const PKG = 'sms-otp-radiusd';
const ETC = `/etc/${PKG}`;
const STATE = `/var/lib/${PKG}`;
const WANTS = `etc/systemd/system/multi-user.target.wants/${PKG}.service`;
const UPGRADE_MIGRATION = '9000_package_upgrade_marker';
const SECRET = 'a-long-random-nas-secret';
/** dpkg unpacks ~11 000 files, the daemon starts: minutes on a busy machine. */
const STEP_TIMEOUT_MS = 300_000;

/**
 * The newer build: the same package with its version raised and one more migration in its
 * compiled list (what a release with a schema change brings), repacked by dpkg-deb.
 */
async function newerBuild(deb: string, work: string): Promise<string> {
  const dir = path.join(work, 'newer');
  await run('dpkg-deb', ['--raw-extract', deb, dir]);
  const control = path.join(dir, 'DEBIAN/control');
  writeFileSync(control, readFileSync(control, 'utf8').replace(/^Version: .*$/m, 'Version: 0.1.0-2'));
  const migrations = path.join(dir, `usr/lib/${PKG}/dist/store/migrations/index.js`);
  const before = readFileSync(migrations, 'utf8');
  const after = before.replace(/^(const migrations = \[.*\];)$/m, `$1\nmigrations.push({ name: '${UPGRADE_MIGRATION}', up: async () => {}, down: async () => {} });`);
  expect(after).not.toBe(before);
  writeFileSync(migrations, after);
  await run('sh', ['-c', "find . -type f ! -path './DEBIAN/*' ! -path './etc/*' -printf '%P\\0' | sort -z | xargs -0 md5sum > DEBIAN/md5sums"], { cwd: dir });
  const newer = path.join(work, `${PKG}_0.1.0-2.deb`);
  await run('dpkg-deb', ['--build', '--root-owner-group', '-Znone', dir, newer]);
  rmSync(dir, { recursive: true, force: true });
  return newer;
}

describe('the Debian package: install, configure, login, upgrade, remove, purge in a Debian 12 root', () => {
  let work: string;
  let root: DebianRoot;
  let deb: string;
  let newer: string;
  let daemon: RunningProcess | undefined;
  let serviceUid: number;
  let firstOtp: string;
  const ports = { auth: 0, acct: 0, metrics: 0 };

  /** The daemon the way the installed unit runs it: its user, environment, directory and command. */
  async function startAsTheUnitDoes(): Promise<void> {
    const unit = readFileSync(root.path(`usr/lib/systemd/system/${PKG}.service`), 'utf8');
    const value = (key: string) => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!.replace(/^"(.*)"$/, '$1'));
    const [user] = value('User');
    const [cwd] = value('WorkingDirectory');
    const [execStart] = value('ExecStart');
    const env = value('Environment').map((e) => `'${e}'`).join(' ');
    daemon = await root.start(
      ['sh', '-c', `cd ${cwd} && exec runuser -u ${user} -- env -i PATH=/usr/bin:/bin ${env} ${execStart}`],
      'sms-otp-radiusd started',
    );
  }

  async function stopDaemon(): Promise<void> {
    await daemon?.stop();
    daemon = undefined;
  }

  async function login(): Promise<string> {
    const target = { host: '127.0.0.1', port: ports.auth, secret: SECRET };
    const challenge = await radclient(target, { 'User-Name': '"alice"', 'User-Password': '"pin1234"' });
    expect(challenge.code, challenge.output).toBe('Access-Challenge');
    const sms = readFileSync(root.path(`${STATE}/sms.log`), 'utf8').trim().split('\n').pop()!;
    const otp = /\b(\d{6})\b/.exec(sms.split(' ').slice(1).join(' '))![1]!;
    const answer = await radclient(target, { 'User-Name': '"alice"', 'User-Password': `"${otp}"`, State: challenge.attributes.State![0]! });
    expect(answer.code, answer.output).toBe('Access-Accept');
    return otp;
  }

  /** Owners (uids) of the state directory and its files, by file name. */
  function owners(): Record<string, number> {
    return Object.fromEntries(
      ['', 'sms-otp-radiusd.sqlite', 'encryption.key'].map((f) => [f || '.', statSync(root.path(path.join(STATE, f))).uid]),
    );
  }

  beforeAll(async () => {
    work = tempDir('smsotp-deb-');
    const started = Date.now();
    // SMS_OTP_RADIUSD_TEST_DEB: a package `npm run package:deb` made already (to rerun this file
    // without compiling SQLite again); its version must be 0.1.0-1.
    // The build takes the checkout's native modules, which its `npm ci` compiled from source for
    // this Node (build-deb.sh checks they are the locked versions): the compile a build machine
    // makes is the one `npm test` starts with on a fresh clone, not repeated here (~2 CPU minutes).
    deb = process.env.SMS_OTP_RADIUSD_TEST_DEB || (await run('npm', ['run', '--silent', 'package:deb', '--', '--version', '0.1.0-1', '--out', work], {
      cwd: ROOT,
      timeout: BUILD_TIMEOUT_MS,
      maxBuffer: 64 << 20,
    })).stdout.trim().split('\n').pop()!;
    console.log(`${process.env.SMS_OTP_RADIUSD_TEST_DEB ? 'given package' : 'npm run package:deb'}: ${((Date.now() - started) / 1000).toFixed(1)} s, ${(statSync(deb).size / 1e6).toFixed(1)} MB`);
    newer = await newerBuild(deb, work);
    const copied = Date.now();
    root = await DebianRoot.create(path.join(work, 'root'));
    console.log(`Debian root ready: ${((Date.now() - copied) / 1000).toFixed(1)} s`);
    for (const file of [deb, newer, await hostNodePackage(work)]) writeFileSync(root.path(`tmp/${path.basename(file)}`), readFileSync(file));
    ports.auth = await freeUdpPort();
    ports.acct = await freeUdpPort();
    ports.metrics = await freeTcpPort();
  }, BUILD_TIMEOUT_MS + BOOTSTRAP_TIMEOUT_MS);

  afterAll(async () => {
    await stopDaemon();
    await root?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  }, STEP_TIMEOUT_MS);

  it('is built by dpkg-deb with the files where Debian keeps them and Depends on a Node that fits', async () => {
    const info = (await run('dpkg-deb', ['--info', deb])).stdout;
    expect(info).toMatch(/^ Package: sms-otp-radiusd$/m);
    // The native modules are of this Node's ABI: at least package.json's engines, this major only.
    const major = Number(process.versions.node.split('.')[0]);
    expect(info).toMatch(new RegExp(`^ Depends: nodejs \\(>= 20\\.18\\.1\\), nodejs \\(<< ${major + 1}\\), .*libc6`, 'm'));
    const files = (await run('dpkg-deb', ['--contents', deb], { maxBuffer: 64 << 20 })).stdout;
    for (const f of [`./usr/lib/${PKG}/dist/cli/main.js`, `./usr/lib/${PKG}/node_modules/better-sqlite3/build/Release/better_sqlite3.node`,
      `./usr/lib/${PKG}/node_modules/@serialport/bindings-cpp/build/Release/bindings.node`, `./usr/lib/systemd/system/${PKG}.service`,
      `./usr/lib/sysusers.d/${PKG}.conf`, `./usr/lib/tmpfiles.d/${PKG}.conf`, `.${ETC}/${PKG}.yaml`]) {
      expect(files).toContain(f);
    }
    expect(files).toMatch(new RegExp(`^lrwxrwxrwx root/root .* \\./usr/bin/${PKG} -> \\.\\./lib/${PKG}/bin/${PKG}\\.js$`, 'm'));
    // No sources, source maps or tests of ours, no development dependency.
    expect(files).not.toMatch(new RegExp(`/${PKG}/(src|test|bench)/|/${PKG}/dist/.*\\.map$|node_modules/(typescript|vitest|knip)/`, 'm'));
    expect((await run('dpkg-deb', ['--info', deb, 'conffiles'])).stdout.trim()).toBe(`${ETC}/${PKG}.yaml`);
  }, STEP_TIMEOUT_MS);

  it('installs: the system user, its state directory, the configuration readable by its group, the unit enabled but not started', async () => {
    const installed = await root.exec(['dpkg', '-i', '/tmp/nodejs-host.deb', `/tmp/${path.basename(deb)}`]);
    expect(installed.code, installed.stdout + installed.stderr).toBe(0);
    expect(installed.stdout).toContain(`remove ${ETC}/unconfigured`);

    const passwd = readFileSync(root.path('etc/passwd'), 'utf8').split('\n').find((l) => l.startsWith(`${PKG}:`))!;
    const [, , uid, gid, , home, shell] = passwd.split(':');
    serviceUid = Number(uid);
    expect(serviceUid).toBeLessThan(1000);
    expect([home, shell]).toEqual([STATE, '/usr/sbin/nologin']);
    const state = statSync(root.path(STATE));
    expect([state.uid, state.gid, state.mode & 0o777]).toEqual([serviceUid, Number(gid), 0o700]);
    const config = statSync(root.path(`${ETC}/${PKG}.yaml`));
    expect([config.uid, config.gid, config.mode & 0o777]).toEqual([0, Number(gid), 0o640]);
    expect(statSync(root.path(ETC)).mode & 0o777).toBe(0o750);
    // Enabled as systemctl enable would: the link (absolute, into the root) where multi-user.target looks.
    expect(readlinkSync(root.path(WANTS))).toBe(`/lib/systemd/system/${PKG}.service`);
    expect(readFileSync(root.path(`usr/lib/systemd/system/${PKG}.service`), 'utf8')).toContain(`ConditionPathExists=!${ETC}/unconfigured`);
    expect(existsSync(root.path(`${ETC}/unconfigured`)), 'the start condition: not configured yet').toBe(true);
    expect((await root.ok(PKG, '--version')).trim()).toBe(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
  }, STEP_TIMEOUT_MS);

  it('check refuses the shipped configuration, read from /etc without --config: it has no RADIUS client', async () => {
    const r = await root.exec([PKG, 'check']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`FAIL  config ${ETC}/${PKG}.yaml`);
    expect(r.stdout).toContain('no RADIUS client configured: add your NAS (name, address, secret_file) under radius.clients');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack
  }, STEP_TIMEOUT_MS);

  it('configured, checked, and a token enrolled as root: the store and key file belong to the service user', async () => {
    const file = root.path(`${ETC}/${PKG}.yaml`);
    writeFileSync(
      file,
      readFileSync(file, 'utf8')
        .replace('clients: []', `clients:\n    - { name: localhost, address: 127.0.0.1/32, secret_file: ${ETC}/localhost.secret }`)
        .replace('port: 1812', `port: ${ports.auth}`)
        .replace('port: 1813', `port: ${ports.acct}`)
        .replace('port: 9812', `port: ${ports.metrics}`),
    );
    writeFileSync(root.path(`${ETC}/localhost.secret`), `${SECRET}\n`, { mode: 0o640 });
    await root.ok('chgrp', PKG, `${ETC}/localhost.secret`);
    writeFileSync(root.path(`${ETC}/scripts/log-sms.sh`), `#!/bin/sh\nprintf '%s %s\\n' "$1" "$(cat)" >> ${STATE}/sms.log\n`, { mode: 0o755 });

    const check = await root.exec([PKG, 'check']);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    await root.ok('rm', `${ETC}/unconfigured`);

    await root.ok(PKG, 'gateway', 'set', 'logfile', '--module', 'script', '--option', 'SCRIPT=log-sms.sh', '--option', 'BACKGROUND=wait');
    await root.ok(PKG, 'setting', 'set', 'sms.identifier', 'logfile');
    const enrolled = await root.exec([PKG, 'token', 'enroll', '--user', 'alice', '--phone', '+4917012345', '--pin', '-', '--otpkey', RFC4226_KEY,
      '--serial', 'PISM00000001', '--no-verify'], { input: 'pin1234\n' });
    expect(enrolled.code, enrolled.stderr).toBe(0);
    expect(owners()).toEqual({ '.': serviceUid, 'sms-otp-radiusd.sqlite': serviceUid, 'encryption.key': serviceUid });
  }, STEP_TIMEOUT_MS);

  it('serves a radclient login, started as the unit says', async () => {
    await startAsTheUnitDoes();
    firstOtp = await login();
    await stopDaemon();
  }, STEP_TIMEOUT_MS);

  it('upgrades to a newer build: the configuration kept, its migration run at the start, the token and its counter kept', async () => {
    const upgraded = await root.exec(['dpkg', '-i', `/tmp/${PKG}_0.1.0-2.deb`]);
    expect(upgraded.code, upgraded.stdout + upgraded.stderr).toBe(0);
    expect(upgraded.stdout).not.toContain('unconfigured'); // only a first install is held back
    expect(readFileSync(root.path(`${ETC}/${PKG}.yaml`), 'utf8')).toContain(`${ETC}/localhost.secret`);
    expect(existsSync(root.path(`${ETC}/unconfigured`))).toBe(false);

    await startAsTheUnitDoes(); // postinst's try-restart, where systemd runs
    const otp = await login();
    await stopDaemon();
    const db = new Database(root.path(`${STATE}/sms-otp-radiusd.sqlite`), { readonly: true });
    try {
      const names = (db.prepare('SELECT name FROM schema_migrations').all() as Array<{ name: string }>).map((r) => r.name);
      expect(names).toContain(UPGRADE_MIGRATION);
      expect(names).toContain('0001_initial');
    } finally {
      db.close();
    }
    // The token's counter moved on from the first login: its state survived the upgrade.
    expect(otp).not.toBe(firstOtp);
    expect(owners()).toEqual({ '.': serviceUid, 'sms-otp-radiusd.sqlite': serviceUid, 'encryption.key': serviceUid });
  }, STEP_TIMEOUT_MS);

  it('remove keeps the configuration and the state; purge deletes them, and the system user stays (Debian policy)', async () => {
    await root.ok('dpkg', '--remove', PKG);
    expect(existsSync(root.path(`usr/lib/${PKG}`))).toBe(false);
    expect(existsSync(root.path(`usr/bin/${PKG}`))).toBe(false);
    expect(existsSync(root.path(`${ETC}/${PKG}.yaml`))).toBe(true);
    expect(existsSync(root.path(`${STATE}/sms-otp-radiusd.sqlite`))).toBe(true);
    expect((await root.ok('dpkg-query', '-W', '-f=${Status}', PKG)).trim()).toBe('deinstall ok config-files');

    await root.ok('dpkg', '--purge', PKG);
    expect(existsSync(root.path(ETC))).toBe(false);
    expect(existsSync(root.path(STATE))).toBe(false);
    expect(() => lstatSync(root.path(WANTS))).toThrow(/ENOENT/);
    expect((await root.exec(['dpkg-query', '-W', PKG])).code).toBe(1);
    expect(readFileSync(root.path('etc/passwd'), 'utf8')).toContain(`${PKG}:x:${serviceUid}:`);
  }, STEP_TIMEOUT_MS);
});
