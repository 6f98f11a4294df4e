// `npm start` runs the daemon as npm's own child (the start script execs node, no sh stays in
// between), so `kill -HUP` on the PID npm started reaches the daemon, with the memory settings
// of the script in its environment.
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createDaemon } from '../helpers/daemon.js';

const execFileAsync = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function until(what: string, condition: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('npm start', { timeout: 120_000 }, () => {
  const cleanups: Array<() => void> = [];
  afterAll(() => cleanups.forEach((c) => c()));

  it('npm’s child is node itself (no sh), and SIGHUP sent to it reloads the configuration', async () => {
    const daemon = await createDaemon();
    const npm = spawn('npm', ['start', '--', '--config', daemon.config], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    // The whole group, whatever is left of it, at the end.
    cleanups.push(() => {
      try {
        process.kill(-npm.pid!, 'SIGKILL');
      } catch {
        /* gone already */
      }
    });
    let output = '';
    npm.stdout.on('data', (c: Buffer) => (output += c.toString()));
    npm.stderr.on('data', (c: Buffer) => (output += c.toString()));
    await until('the daemon to start', () => output.includes('sms-otp-radiusd started'));

    const { stdout } = await execFileAsync('ps', ['--ppid', String(npm.pid), '-o', 'pid=,comm=,args=']);
    const children = stdout.trim().split('\n').map((line) => line.trim().split(/\s+/));
    expect(children, stdout).toHaveLength(1);
    const [pid, comm, ...args] = children[0]!;
    expect(comm, stdout).toBe('node');
    expect(args.join(' ')).toContain(`bin/sms-otp-radiusd.js serve --config ${daemon.config}`);
    // The script's settings reached the daemon through exec.
    const environment = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    expect(environment).toContain('MALLOC_ARENA_MAX=1');
    expect(environment).toContain('NODE_OPTIONS=--max-semi-space-size=4 --max-old-space-size=256');

    process.kill(Number(pid), 'SIGHUP');
    await until('the reload after SIGHUP', () => output.includes('configuration reloaded'));
    const exited = new Promise<number | null>((resolve) => npm.once('exit', resolve));
    process.kill(Number(pid), 'SIGTERM');
    await exited;
    expect(output).not.toMatch(/ERR!|Error:/);
  });
});
