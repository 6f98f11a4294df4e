// What an operator meets first, through the real CLI process: paths relative to the config
// file wherever the command runs, and every expected failure as one line with the key to fix,
// exit status 1 (2 for a mistake in the command line), never a stack trace.
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freeUdpPort } from '../helpers/daemon.js';
import { BIN, tempDir } from '../helpers/fs.js';

const execFileAsync = promisify(execFile);

async function run(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [BIN, ...args], { cwd, timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** One line on stderr, no stack trace. */
function expectOneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
}

function siteDir(port: number, database = 'filename: ./db/store.sqlite'): { dir: string; config: string } {
  const dir = tempDir();
  const config = path.join(dir, 'etc', 'radiusd.yaml');
  mkdirSync(path.dirname(config));
  writeFileSync(
    config,
    [
      `database: { client: ${database.startsWith('url') ? 'pg' : 'sqlite'}, ${database} }`,
      'secrets: { keyfile: ./key/encryption.key }',
      'radius:',
      `  listen: [ { host: 127.0.0.1, port: ${port} } ]`,
      '  clients: [ { name: nas, address: 127.0.0.1/32, secret_file: nas.secret } ]',
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(dir, 'etc', 'nas.secret'), 'testing123\n');
  return { dir, config };
}

describe('config-relative paths', () => {
  it('reach the same store and key file from any working directory; a missing database directory is an error naming the key', async () => {
    const { dir, config } = siteDir(await freeUdpPort());
    mkdirSync(path.join(dir, 'etc', 'key'));
    const missing = await run(dir, 'token', 'list', '--config', config);
    expect(missing.code).toBe(1);
    expectOneLine(missing.stderr, /^sms-otp-radiusd: database\.filename: the directory .*etc\/db does not exist; create it/);
    expect(existsSync(path.join(dir, 'etc', 'db'))).toBe(false);

    mkdirSync(path.join(dir, 'etc', 'db'));
    const elsewhere = tempDir();
    const serial = (await run(elsewhere, 'token', 'enroll', '--user', 'alice', '--phone', '+491701234567', '--pin', '1234', '--config', config)).stdout.trim();
    expect(serial).toMatch(/^PISM/);
    // From the config's own directory and from / the same token is there: one store, one key.
    for (const cwd of [path.join(dir, 'etc'), '/']) {
      const list = await run(cwd, 'token', 'list', '--config', config);
      expect(list.stdout).toContain(serial);
    }
    expect(existsSync(path.join(dir, 'etc', 'db', 'store.sqlite'))).toBe(true);
    expect(existsSync(path.join(dir, 'etc', 'key', 'encryption.key'))).toBe(true);
    expect(existsSync(path.join(elsewhere, 'db'))).toBe(false);
  });
});

describe('expected failures', () => {
  const sockets: dgram.Socket[] = [];
  afterAll(() => sockets.forEach((s) => s.close()));

  it('a port in use: one line naming the address and the key', async () => {
    const port = await freeUdpPort();
    const taken = dgram.createSocket('udp4');
    sockets.push(taken);
    await new Promise<void>((resolve) => taken.bind(port, '127.0.0.1', resolve));
    const { dir, config } = siteDir(port);
    mkdirSync(path.join(dir, 'etc', 'db'));
    mkdirSync(path.join(dir, 'etc', 'key'));
    const r = await run(dir, 'serve', '--config', config);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^sms-otp-radiusd: cannot listen on 127\\.0\\.0\\.1:${port} \\(radius\\.listen\\.0\\): the address is in use`, 'm'));
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a key file that is a directory, and a missing key file for a store already in use: refused, no new key written', async () => {
    const { dir, config } = siteDir(await freeUdpPort());
    mkdirSync(path.join(dir, 'etc', 'db'));
    mkdirSync(path.join(dir, 'etc', 'key', 'encryption.key'), { recursive: true });
    const isDir = await run(dir, 'token', 'list', '--config', config);
    expect(isDir.code).toBe(1);
    expectOneLine(isDir.stderr, /cannot read key file .*encryption\.key: EISDIR \(it is a directory, not a file\) \(secrets\.keyfile\)$/);

    const keyfile = path.join(dir, 'etc', 'key', 'encryption.key');
    await import('node:fs').then((fs) => fs.rmdirSync(keyfile));
    expect((await run(dir, 'token', 'enroll', '--user', 'bob', '--phone', '+491701234567', '--pin', '1234', '--config', config)).code).toBe(0);
    await import('node:fs').then((fs) => fs.renameSync(keyfile, `${keyfile}.moved`));
    const lost = await run(dir, 'token', 'list', '--config', config);
    expect(lost.code).toBe(1);
    expectOneLine(lost.stderr, /key file .* does not exist, but the store .*store\.sqlite already holds data sealed with a key: restore the key file/);
    expect(existsSync(keyfile)).toBe(false);
  });

  it('a store that cannot be reached: one line with the URL but not its password', async () => {
    const { dir, config } = siteDir(await freeUdpPort(), 'url: "postgres://radiusd:hunter2@127.0.0.1:1/radiusd"');
    mkdirSync(path.join(dir, 'etc', 'key'));
    const r = await run(dir, 'token', 'list', '--config', config);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, /^sms-otp-radiusd: cannot use the store postgres:\/\/radiusd@127\.0\.0\.1:1\/radiusd \(database\.url\): connect ECONNREFUSED/);
    expect(r.stderr).not.toContain('hunter2');
  });

  it('mistakes in the command line exit 2 with one line', async () => {
    const { dir, config } = siteDir(await freeUdpPort());
    mkdirSync(path.join(dir, 'etc', 'db'));
    mkdirSync(path.join(dir, 'etc', 'key'));
    const first = await run(dir, 'token', 'list', '--config', config);
    // A new key file is announced on stderr, never mixed into a command's output.
    expect(first.stdout.trim()).toMatch(/^SERIAL/);
    expect(first.stderr).toContain('created a new key file');
    const otplen = await run(dir, 'token', 'enroll', '--user', 'a', '--phone', '+491701234567', '--pin', '1234', '--otplen', '7', '--config', config);
    expect(otplen.code).toBe(2);
    expectOneLine(otplen.stderr, /--otplen must be 6 or 8/);
    const pair = await run(dir, 'gateway', 'set', 'g', '--module', 'http', '--option', 'URL', '--config', config);
    expect(pair.code).toBe(2);
    expectOneLine(pair.stderr, /expected KEY=VALUE, got 'URL'/);
    const missing = await run(dir, 'token', 'show', 'NOPE', '--config', config);
    expect(missing.code).toBe(1);
    expectOneLine(missing.stderr, /no token with serial NOPE/);
  });
});
