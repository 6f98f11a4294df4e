// The way an operator installs the daemon (docs/install-from-source.md): `npm pack` builds a tarball,
// `npm install -g` installs it without TypeScript, and the systemd unit and sysusers file are
// checked by systemd's own tools against a root directory holding that very install.
//
// The install is real, install scripts included, with one shortcut: better-sqlite3's install
// script (prebuild-install, else node-gyp) is handed the checkout's own compiled module as the
// prebuilt binary it would download from the project's releases, through prebuild-install's
// documented local-prebuilds folder. Offline, it would otherwise compile SQLite from source:
// ~2 CPU minutes, most of this file's time, for the same bytes: the compile from source is the
// one the checkout's own `npm ci` made (scripts/test.sh on a fresh clone), whose module this is.
// What an operator online gets is this path: a prebuilt binary, unpacked and loaded.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers/fs.js';

const run = promisify(execFile);
const INSTALL_TIMEOUT_MS = 600_000;
const VERSION = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version as string;
/** What a checkout holds besides the sources and that a copy for packing must leave out. */
const NOT_COPIED = new Set(['node_modules', 'dist', '.git', 'reports', 'data']);
const SQLITE = path.join(ROOT, 'node_modules/better-sqlite3');
const NATIVE = 'build/Release/better_sqlite3.node';
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/**
 * A folder holding the checkout's compiled better-sqlite3 as a prebuilt release binary: a
 * .tar.gz of build/Release/better_sqlite3.node (the layout prebuild-install unpacks into the
 * package), named as the release download prebuild-install would fetch (its own util.js makes
 * the name, so a new naming scheme follows). Handed to the install as
 * npm_config_better_sqlite3_local_prebuilds, which prebuild-install looks in before downloading.
 */
async function sqlitePrebuilds(dir: string): Promise<string> {
  const util = createRequire(path.join(SQLITE, 'package.json'))('prebuild-install/util.js') as {
    getDownloadUrl(opts: Record<string, unknown>): string;
  };
  const pkg = JSON.parse(readFileSync(path.join(SQLITE, 'package.json'), 'utf8')) as Record<string, unknown>;
  // libc '' is glibc, as prebuild-install's rc.js leaves it on Debian.
  const url = util.getDownloadUrl({ pkg, runtime: 'node', abi: process.versions.modules, platform: process.platform, arch: process.arch, libc: '', 'tag-prefix': 'v' });
  mkdirSync(dir);
  await run('tar', ['czf', path.join(dir, path.basename(url)), '-C', SQLITE, NATIVE]);
  return dir;
}

describe('npm pack, npm install -g, and the systemd files', () => {
  let tarball: string;
  /** A filesystem root: the global install under usr/local, systemd's units, the unit file. */
  let root: string;
  let installedBin: string;
  let work: string;

  beforeAll(async () => {
    work = tempDir('smsotp-pack-');
    // Pack a copy, so that prepack (which empties dist/) never disturbs tests running on
    // the checkout's dist/. test/ and bench/ come along: `files` must keep them out.
    const checkout = path.join(work, 'checkout');
    cpSync(ROOT, checkout, { recursive: true, filter: (src) => !NOT_COPIED.has(path.relative(ROOT, src)) });
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(checkout, 'node_modules')); // tsc for the build
    const packed = await run('npm', ['pack', '--pack-destination', work], { cwd: checkout });
    tarball = path.join(work, packed.stdout.trim().split('\n').pop()!);

    root = path.join(work, 'root');
    const prebuilds = await sqlitePrebuilds(path.join(work, 'prebuilds'));
    const started = Date.now();
    await run('nice', ['-n', '10', 'npm', 'install', '-g', '--prefix', path.join(root, 'usr/local'), '--prefer-offline', '--no-audit', '--no-fund', tarball], {
      cwd: work,
      env: { ...process.env, npm_config_better_sqlite3_local_prebuilds: prebuilds },
      timeout: INSTALL_TIMEOUT_MS,
    });
    console.log(`npm install -g of ${path.basename(tarball)}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    installedBin = path.join(root, 'usr/local/bin/sms-otp-radiusd');

    // The rest of the root systemd-analyze needs: its units (sysinit.target and company), the
    // kill of ExecReload, Debian's merged /usr, and our unit where an administrator puts it.
    mkdirSync(path.join(root, 'usr/lib/systemd'), { recursive: true });
    cpSync('/usr/lib/systemd/system', path.join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
    cpSync('/usr/bin/kill', path.join(root, 'usr/bin/kill'));
    symlinkSync('usr/bin', path.join(root, 'bin'));
    symlinkSync('usr/lib', path.join(root, 'lib'));
    mkdirSync(path.join(root, 'etc/systemd/system'), { recursive: true });
    cpSync(path.join(ROOT, 'systemd/sms-otp-radiusd.service'), path.join(root, 'etc/systemd/system/sms-otp-radiusd.service'));
    mkdirSync(path.join(root, 'etc/sysusers.d'), { recursive: true });
    cpSync(path.join(ROOT, 'systemd/sms-otp-radiusd.sysusers'), path.join(root, 'etc/sysusers.d/sms-otp-radiusd.conf'));
  }, INSTALL_TIMEOUT_MS + 60_000);

  afterAll(() => rmSync(work, { recursive: true, force: true })); // the install is ~130 MB

  it('packs the compiled daemon, the systemd files and the licence, and no sources or tests', async () => {
    const files = (await run('tar', ['tzf', tarball])).stdout.trim().split('\n');
    for (const f of ['bin/sms-otp-radiusd.js', 'dist/cli/main.js', 'dist/cli/backup.js', 'LICENSE', 'README.md', 'package.json',
      'systemd/sms-otp-radiusd.service', 'systemd/sms-otp-radiusd.sysusers', 'dictionaries/dictionary.cisco']) {
      expect(files).toContain(`package/${f}`);
    }
    expect(files.filter((f) => /^package\/(src|test|bench|scripts)\//.test(f) || /\.(ts|map)$/.test(f))).toEqual([]);
  });

  it('installs without TypeScript and puts a working sms-otp-radiusd on the PATH', async () => {
    const pkg = path.join(root, 'usr/local/lib/node_modules/sms-otp-radiusd');
    expect(existsSync(path.join(pkg, 'node_modules/typescript')), 'no development dependency installed').toBe(false);
    // Through the bin symlink and its #!/usr/bin/env node line, the way a shell runs it.
    const env = { ...process.env, PATH: `${path.join(root, 'usr/local/bin')}:${process.env.PATH}` };
    expect((await run('sms-otp-radiusd', ['--version'], { env })).stdout.trim()).toBe(VERSION);

    // The native SQLite module works: a store is created and migrated.
    // The shipped example, as a checkout has it: config/ beside data/ (its paths are relative
    // to the config file, so the command may run anywhere).
    const dir = tempDir('smsotp-installed-');
    mkdirSync(path.join(dir, 'config'));
    mkdirSync(path.join(dir, 'data'));
    const config = path.join(dir, 'config', 'sms-otp-radiusd.yaml');
    cpSync(path.join(ROOT, 'config/sms-otp-radiusd.yaml'), config);
    const out = await run(installedBin, ['migrate', '--config', config], { cwd: '/', env });
    expect(out.stdout).toMatch(/^applied: 0001_initial/m);
    expect(existsSync(path.join(dir, 'data/sms-otp-radiusd.sqlite'))).toBe(true);
  });

  it('installs better-sqlite3 from the prebuilt binary it was offered, compiling nothing', () => {
    // Had prebuild-install not found it (a changed name or layout), node-gyp would have compiled
    // SQLite: build/ would hold its object files, and the module need not be the same bytes.
    const installed = path.join(root, 'usr/local/lib/node_modules/sms-otp-radiusd/node_modules/better-sqlite3');
    expect(sha256(path.join(installed, NATIVE))).toBe(sha256(path.join(SQLITE, NATIVE)));
    expect(existsSync(path.join(installed, 'build/Release/obj.target')), 'no object files: nothing compiled').toBe(false);
  });

  it('installed, reads /etc/sms-otp-radiusd without --config, never the demo configuration it carries', async () => {
    const env = { ...process.env, SMS_OTP_RADIUSD_CONFIG: '' };
    const r = await run(installedBin, ['check'], { cwd: '/', env }).catch((e: { stdout: string }) => e);
    expect(r.stdout).toContain('cannot read configuration /etc/sms-otp-radiusd/sms-otp-radiusd.yaml');
    expect(r.stdout).not.toContain('node_modules');
  });

  it('has a unit that systemd-analyze verify accepts, its ExecStart found where npm installed it', async () => {
    // A warning (an unknown key, a command not found) is printed but exits 0: stderr must be empty.
    const r = await run('systemd-analyze', ['verify', `--root=${root}`, 'sms-otp-radiusd.service']).catch((e) => e);
    expect({ code: r.code ?? 0, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('has a unit whose sandbox systemd-analyze security rates below 3.0 ("OK")', async () => {
    const r = await run('systemd-analyze', ['security', '--offline=true', `--root=${root}`, 'sms-otp-radiusd.service']);
    const exposure = /Overall exposure level for sms-otp-radiusd\.service: ([\d.]+) (\w+)/.exec(r.stdout);
    expect(exposure, r.stdout).not.toBeNull();
    expect(Number(exposure![1])).toBeLessThan(3.0);
    expect(exposure![2]).toBe('OK');
  });

  it('has a sysusers file that creates the system user the unit runs as', async () => {
    await run('systemd-sysusers', [`--root=${root}`]);
    const unit = readFileSync(path.join(ROOT, 'systemd/sms-otp-radiusd.service'), 'utf8');
    expect(unit).toMatch(/^User=sms-otp-radiusd$/m);
    expect(unit).toMatch(/^Group=sms-otp-radiusd$/m);
    const passwd = readFileSync(path.join(root, 'etc/passwd'), 'utf8').split('\n').find((l) => l.startsWith('sms-otp-radiusd:'));
    const [, , uid, gid, , home, shell] = passwd!.split(':');
    expect(Number(uid)).toBeLessThan(1000); // a system user
    expect(home).toBe('/var/lib/sms-otp-radiusd');
    expect(shell).toBe('/usr/sbin/nologin');
    expect(readFileSync(path.join(root, 'etc/group'), 'utf8')).toContain(`sms-otp-radiusd:x:${gid}:`);
  });
});
