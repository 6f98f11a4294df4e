// A real PAM client: pam_radius_auth driven by pamtester, answering the challenge prompt the
// way a login on a Linux host or a jump server does.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { ROOT, RFC4226_KEY } from '../helpers/fs.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';
import { useHttpGateway } from '../helpers/sms-daemon.js';

const SECRET = 'pam-secret-123';

describe('pam_radius_auth through pamtester', () => {
  let daemon: TestDaemon;
  let gw: SmsGateway;
  const service = `sms-otp-radiusd-test-${process.pid}`;
  const serviceFile = path.join('/etc/pam.d', service);
  // The same with prompt_attribute: pam_radius then honours Prompt (RFC 2869 §5.10); without it
  // it echoes every challenge answer.
  const promptService = `${service}-prompt`;
  const promptServiceFile = path.join('/etc/pam.d', promptService);

  beforeAll(async () => {
    gw = await startSmsGateway();
    // pam_radius_auth sends no Message-Authenticator: a client configured as such a NAS.
    daemon = await createDaemon({
      secret: SECRET,
      clients: [{ name: 'linux-host', address: '127.0.0.1/32', secret: SECRET, require_message_authenticator: 'no' }],
      radius: { reject_delay: '0' },
    });
    await useHttpGateway(daemon, gw.url);
    await daemon.ok('token', 'enroll', '--user', 'alice', '--phone', '+1555', '--pin', 'pin1234', '--otpkey', RFC4226_KEY);
    await daemon.start();
    const conf = path.join(daemon.dir, 'pam_radius_auth.conf');
    writeFileSync(conf, `127.0.0.1:${daemon.port} ${SECRET} 5\n`, { mode: 0o600 });
    // pamtester reads service files only from /etc/pam.d.
    writeFileSync(serviceFile, `auth required pam_radius_auth.so conf=${conf} client_id=linux-host\naccount required pam_permit.so\n`);
    writeFileSync(promptServiceFile, `auth required pam_radius_auth.so conf=${conf} client_id=linux-host prompt_attribute\naccount required pam_permit.so\n`);
  });
  afterAll(async () => {
    rmSync(serviceFile, { force: true });
    rmSync(promptServiceFile, { force: true });
    await daemon?.stop();
    await gw?.close();
  });

  /** Runs pamtester; answers the first prompt with `first`, then a prompt after the SMS with what `second` returns. */
  async function pamLogin(first: string, second?: () => Promise<string>): Promise<{ code: number; output: string }> {
    const child = spawn('pamtester', ['-v', service, 'alice', 'authenticate'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
    child.stdin.write(`${first}\n`);
    if (second) child.stdin.write(`${await second()}\n`);
    child.stdin.end();
    return { code: await exited, output };
  }

  it('logs in with the PIN, then the OTP from the SMS at the challenge prompt', async () => {
    const result = await pamLogin('pin1234', async () => (await gw.next()).query.get('text')!);
    expect(result.output).toContain('successfully authenticated');
    expect(result.code).toBe(0);
  });

  /**
   * pamtester on a terminal (test/peers/pty_dialog.py), as a person logs in: the PIN at the
   * password prompt, the OTP from the SMS at the challenge prompt. Returns what the terminal
   * showed after the OTP was typed, so whether the OTP was echoed can be seen.
   */
  async function pamOnTerminal(pamService: string): Promise<{ code: number; otp: string; afterOtp: string }> {
    const child = spawn('/usr/bin/python3', [path.join(ROOT, 'test/peers/pty_dialog.py'), '--', 'pamtester', '-v', pamService, 'alice', 'authenticate'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let shown = '';
    child.stdout.on('data', (c: Buffer) => (shown += c.toString()));
    const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
    const until = async (pattern: RegExp) => {
      const deadline = Date.now() + 15_000;
      while (!pattern.test(shown)) {
        if (Date.now() > deadline) throw new Error(`pamtester did not show ${pattern}; it showed:\n${shown}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    await until(/Password: $/);
    child.stdin.write('pin1234\n');
    const otp = (await gw.next()).query.get('text')!;
    await until(/Enter the OTP from the SMS/);
    const mark = shown.length;
    child.stdin.write(`${otp}\n`);
    child.stdin.end();
    const code = await exited;
    return { code, otp, afterOtp: shown.slice(mark) };
  }

  it('with prompt_attribute, pam_radius hides the OTP as it is typed (Prompt = No-Echo)', async () => {
    const result = await pamOnTerminal(promptService);
    expect(result.afterOtp).toContain('successfully authenticated');
    expect(result.code).toBe(0);
    expect(result.afterOtp).not.toContain(result.otp);
  });

  it('a client with challenge_echo: yes gets Prompt = Echo: the OTP shows as it is typed', async () => {
    const reloaded = () => (daemon.logs().match(/"msg":"configuration reloaded"/g) ?? []).length;
    const before = reloaded();
    writeFileSync(daemon.config, readFileSync(daemon.config, 'utf8').replace('"require_message_authenticator":"no"', '"require_message_authenticator":"no","challenge_echo":"yes"'));
    daemon.process()!.signal('SIGHUP');
    const deadline = Date.now() + 5000;
    while (reloaded() === before) {
      if (Date.now() > deadline) throw new Error(`no reload after SIGHUP:\n${daemon.logs()}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const result = await pamOnTerminal(promptService);
    expect(result.code).toBe(0);
    expect(result.afterOtp).toContain(result.otp);
  });

  it('refuses a wrong OTP at the challenge prompt', async () => {
    const result = await pamLogin('pin1234', async () => {
      await gw.next();
      return '000000';
    });
    expect(result.code).not.toBe(0);
    expect(result.output).not.toContain('successfully authenticated');
  });
});
