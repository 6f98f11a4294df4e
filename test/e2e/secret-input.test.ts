// Secrets never need to be on the command line: `-` reads standard input, `@FILE` a file, and
// a value left out is asked for on the terminal without echo (driven here through a real
// pseudo-terminal). Each PIN is then proven by a real login with it.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysFromMaster } from '../../src/crypto/keyfile.js';
import { Store } from '../../src/store/index.js';
import { STORE_ADAPTERS } from '../../src/main/store-adapters.js';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { BIN, RFC4226_HOTP, RFC4226_KEY, ROOT } from '../helpers/fs.js';
import { radclient } from '../helpers/radius-clients.js';

const execFileAsync = promisify(execFile);

describe('secret input', () => {
  let daemon: TestDaemon;
  beforeAll(async () => {
    daemon = await createDaemon();
    await daemon.start();
  });
  afterAll(() => daemon.stop());

  /** The CLI with `input` on its standard input. */
  async function cliWithInput(input: string, ...args: string[]) {
    const run = execFileAsync(process.execPath, [BIN, ...args, '--config', daemon.config]);
    run.child.stdin!.end(input);
    try {
      const { stdout, stderr } = await run;
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  /** The CLI on a pseudo-terminal, answering its prompts; returns what the terminal showed. */
  async function cliOnTerminal(answers: string[], ...args: string[]) {
    try {
      const { stdout } = await execFileAsync('python3', [path.join(ROOT, 'test/peers/pty_answer.py'), ...answers, '--', process.execPath, BIN, ...args, '--config', daemon.config]);
      return { code: 0, shown: stdout };
    } catch (err) {
      const e = err as { code: number; stdout: string };
      return { code: e.code, shown: e.stdout };
    }
  }

  const enroll = (user: string, ...pinArgs: string[]) =>
    ['token', 'enroll', '--user', user, '--phone', '+4917012345', '--otpkey', RFC4226_KEY, ...pinArgs];
  const loginWith = async (user: string, pin: string) =>
    (await radclient(daemon, { 'User-Name': `"${user}"`, 'User-Password': `"${pin}${RFC4226_HOTP[0]}"` })).code;

  it('reads --pin - from standard input (the first line) and --pin @FILE from a file', async () => {
    const fromStdin = await cliWithInput('s3cret-pin\n', ...enroll('stdin-user', '--pin', '-'));
    expect(fromStdin).toMatchObject({ code: 0, stderr: '' });
    expect(await loginWith('stdin-user', 's3cret-pin')).toBe('Access-Accept');

    const file = path.join(daemon.dir, 'pin.txt');
    writeFileSync(file, 'file-pin-77\nsecond line is ignored\n', { mode: 0o600 });
    expect((await cliWithInput('', ...enroll('file-user', '--pin', `@${file}`))).code).toBe(0);
    expect(await loginWith('file-user', 'file-pin-77')).toBe('Access-Accept');

    const missing = await cliWithInput('', ...enroll('nobody', '--pin', '@/nonexistent/pin'));
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe('sms-otp-radiusd: --pin @/nonexistent/pin: cannot read it: ENOENT (no such file or directory)');
  });

  it('asks on a terminal without echo, twice, when --pin is left out; refuses to guess without a terminal', async () => {
    const asked = await cliOnTerminal(['PIN: ', 'typed-pin-1', 'PIN again: ', 'typed-pin-1'], ...enroll('tty-user'));
    expect(asked.code).toBe(0);
    expect(asked.shown).toMatch(/<PIN: >.*<PIN again: >.*PISM[0-9A-F]{8}/s);
    expect(asked.shown).not.toContain('typed-pin-1');
    expect(await loginWith('tty-user', 'typed-pin-1')).toBe('Access-Accept');

    const differ = await cliOnTerminal(['PIN: ', 'one', 'PIN again: ', 'two'], ...enroll('tty-user-2'));
    expect(differ.code).toBe(2);
    expect(differ.shown).toContain('--pin: the two entries differ; nothing was changed');

    const noTerminal = await cliWithInput('', ...enroll('pipe-user'));
    expect(noTerminal.code).toBe(2);
    expect(noTerminal.stderr.trim()).toBe(
      'sms-otp-radiusd: --pin: no value given and no terminal to ask on; give --pin - (standard input) or --pin @FILE',
    );
    expect(await daemon.ok('token', 'list')).not.toMatch(/tty-user-2|pipe-user/);
  });

  it('token set --pin asks when given without a value; gateway and SMTP secrets come from a file or standard input', async () => {
    const serial = (await cliWithInput('first\n', ...enroll('changer', '--pin', '-'))).stdout.trim();
    const changed = await cliOnTerminal(['New PIN: ', 'second-pin', 'New PIN again: ', 'second-pin'], 'token', 'set', serial, '--pin');
    expect(changed.code).toBe(0);
    expect(await loginWith('changer', 'second-pin')).toBe('Access-Accept');

    const secretFile = path.join(daemon.dir, 'gw.secret');
    writeFileSync(secretFile, 'gateway-password\n', { mode: 0o600 });
    expect((await cliWithInput('', 'gateway', 'set', 'gw', '--module', 'http', '--option', 'URL=http://127.0.0.1:9/send', '--option', `PASSWORD=@${secretFile}`)).code).toBe(0);
    expect((await cliWithInput('smtp-password\n', 'smtpserver', 'set', 'mx', '--server', '127.0.0.1', '--username', 'u', '--password', '-')).code).toBe(0);
    const { readFileSync } = await import('node:fs');
    const keys = keysFromMaster(Buffer.from(readFileSync(daemon.keyfile, 'utf8').trim(), 'hex'));
    const store = Store.open({ client: 'sqlite', filename: path.join(daemon.dir, 'store.sqlite') }, keys, STORE_ADAPTERS);
    try {
      expect((await store.gateways.get('gw'))?.options.PASSWORD).toBe('gateway-password');
      expect((await store.smtpServers.get('mx'))?.password).toBe('smtp-password');
    } finally {
      await store.close();
    }
  });
});
