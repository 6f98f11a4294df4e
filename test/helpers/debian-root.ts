// A throw-away Debian 12 system to install the package into: a minimal root made once by
// debootstrap (Debian's own tool, from Debian's mirror) and cached, copied for every run, and
// entered with chroot, so that dpkg runs the maintainer scripts inside it as on a server.
// What a chroot lacks is said where it matters: no systemd runs (the daemon is started the
// way the unit says, with runuser), and Debian 12's nodejs is 18 (below the package's
// >= 20.18.1), so the host's node binary goes in as a package named nodejs.
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startProcess, type RunningProcess } from './process.js';

const run = promisify(execFile);

/** One cached root per Debian release and package set; a new set makes a new directory. */
const CACHE = '/var/cache/sms-otp-radiusd-test';
const SUITE = 'bookworm';
const INCLUDE = ['systemd']; // systemd-sysusers, systemd-tmpfiles, systemctl; init-system-helpers is in minbase
export const BOOTSTRAP_TIMEOUT_MS = 600_000;

/** The cached minimal root (made by debootstrap when missing); resolves to its path. */
export async function cachedDebianRoot(): Promise<string> {
  const cached = path.join(CACHE, `${SUITE}-minbase-${INCLUDE.join('+')}`);
  if (existsSync(path.join(cached, 'etc/debian_version'))) return cached;
  mkdirSync(CACHE, { recursive: true });
  const partial = `${cached}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  const started = Date.now();
  await run('debootstrap', ['--variant=minbase', `--include=${INCLUDE.join(',')}`, SUITE, partial, 'http://deb.debian.org/debian'], {
    timeout: BOOTSTRAP_TIMEOUT_MS,
    maxBuffer: 64 << 20,
  });
  renameSync(partial, cached); // whole or not at all: a run cut short leaves only a .partial
  console.log(`debootstrap ${SUITE} (once, cached in ${cached}): ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return cached;
}

export interface Command {
  stdout: string;
  stderr: string;
  code: number;
}

/** A copy of the cached root with /proc mounted; `close` unmounts and deletes it. */
export class DebianRoot {
  private constructor(readonly dir: string) {}

  static async create(dir: string): Promise<DebianRoot> {
    await run('cp', ['-a', await cachedDebianRoot(), dir]); // device nodes too, which fs.cpSync cannot copy
    await run('mount', ['-t', 'proc', 'proc', path.join(dir, 'proc')]);
    return new DebianRoot(dir);
  }

  /** A path inside the root, as seen from the host. */
  path(inside: string): string {
    return path.join(this.dir, inside);
  }

  /** Runs a command inside the root as root; never throws for its exit status. */
  async exec(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<Command> {
    const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', DEBIAN_FRONTEND: 'noninteractive', ...options.env };
    return new Promise((resolve, reject) => {
      const child = spawn('chroot', [this.dir, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ stdout, stderr, code: code ?? 1 }));
      child.stdin.on('error', () => undefined); // a command that exits without reading its input
      child.stdin.end(options.input ?? '');
    });
  }

  /** Like exec, but a non-zero exit status is an error that shows the output. */
  async ok(...args: string[]): Promise<string> {
    const r = await this.exec(args);
    if (r.code !== 0) throw new Error(`${args.join(' ')} exited with ${r.code}:\n${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  /** Starts a long-running command inside the root; resolves once its output shows `ready`. */
  start(args: string[], ready: string): Promise<RunningProcess> {
    return startProcess('chroot', [this.dir, ...args], ready, { name: args.join(' '), env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
  }

  async close(): Promise<void> {
    await run('umount', ['--lazy', this.path('proc')]).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A package named nodejs holding the host's node binary (NodeSource's 20.x here), for a root
 * whose Debian 12 has only nodejs 18: what an operator gets from NodeSource's repository.
 */
export async function hostNodePackage(work: string): Promise<string> {
  const root = path.join(work, 'nodejs-host');
  mkdirSync(path.join(root, 'DEBIAN'), { recursive: true });
  mkdirSync(path.join(root, 'usr/bin'), { recursive: true });
  cpSync(process.execPath, path.join(root, 'usr/bin/node'));
  writeFileSync(
    path.join(root, 'DEBIAN/control'),
    [
      'Package: nodejs',
      `Version: ${process.versions.node}-host1`,
      `Architecture: ${(await run('dpkg', ['--print-architecture'])).stdout.trim()}`,
      'Maintainer: sms-otp-radiusd tests <tests@localhost>',
      'Depends: libc6, libstdc++6',
      'Description: the test host node binary',
      ' Node.js of the machine running the tests, for a Debian 12 root.',
      '',
    ].join('\n'),
  );
  const deb = path.join(work, 'nodejs-host.deb');
  await run('dpkg-deb', ['--build', '--root-owner-group', '-Znone', root, deb]);
  rmSync(root, { recursive: true, force: true });
  return deb;
}
