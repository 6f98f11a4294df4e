// A real PAM client: pam_radius_auth driven by pamtester, answering the challenge prompt the
// way a login on a Linux host or a jump server does.
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { RFC4226_KEY } from '../helpers/fs.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';

const SECRET = 'pam-secret-123';

describe('pam_radius_auth through pamtester', () => {
  let daemon: TestDaemon;
  let gw: SmsGateway;
  const service = `sms-otp-radiusd-test-${process.pid}`;
  const serviceFile = path.join('/etc/pam.d', service);

  beforeAll(async () => {
    gw = await startSmsGateway();
    // pam_radius_auth sends no Message-Authenticator: a client configured as such a NAS.
    daemon = await createDaemon({
      secret: SECRET,
      clients: [{ name: 'linux-host', address: '127.0.0.1/32', secret: SECRET, require_message_authenticator: 'no' }],
      radius: { reject_delay: '0' },
    });
    await daemon.ok('gateway', 'set', 'gw1', '--module', 'http', '--option', `URL=${gw.url}`, '--option', 'to={phone}', '--option', 'text={otp}');
    await daemon.ok('setting', 'set', 'sms.identifier', 'gw1');
    await daemon.ok('token', 'enroll', '--user', 'alice', '--phone', '+1555', '--pin', 'pin1234', '--otpkey', RFC4226_KEY);
    await daemon.start();
    const conf = path.join(daemon.dir, 'pam_radius_auth.conf');
    writeFileSync(conf, `127.0.0.1:${daemon.port} ${SECRET} 5\n`, { mode: 0o600 });
    // pamtester reads service files only from /etc/pam.d.
    writeFileSync(serviceFile, `auth required pam_radius_auth.so conf=${conf} client_id=linux-host\naccount required pam_permit.so\n`);
  });
  afterAll(async () => {
    rmSync(serviceFile, { force: true });
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

  it('refuses a wrong OTP at the challenge prompt', async () => {
    const result = await pamLogin('pin1234', async () => {
      await gw.next();
      return '000000';
    });
    expect(result.code).not.toBe(0);
    expect(result.output).not.toContain('successfully authenticated');
  });
});
