// Gateways as an operator sets them up: CLI definitions, `gateway test` and `smtpserver test`
// against real peers, secrets censored on show.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, freeTcpPort, type TestDaemon } from '../helpers/daemon.js';
import { tempDir } from '../helpers/fs.js';
import { startProcess, type RunningProcess } from '../helpers/process.js';

describe('SMTP gateway through the CLI, delivered to aiosmtpd', () => {
  let daemon: TestDaemon;
  let smtpd: RunningProcess;
  let port: number;
  const maildir = path.join(tempDir('smsotp-maildir-'), 'Maildir');

  const mails = () => (existsSync(path.join(maildir, 'new')) ? readdirSync(path.join(maildir, 'new')).map((f) => readFileSync(path.join(maildir, 'new', f), 'utf8')) : []);

  beforeAll(async () => {
    port = await freeTcpPort();
    smtpd = await startProcess('/usr/bin/python3', ['-u', '-c', [
      'import asyncio, sys',
      'from aiosmtpd.controller import Controller',
      'from aiosmtpd.handlers import Mailbox',
      `c = Controller(Mailbox(${JSON.stringify(maildir)}), hostname="127.0.0.1", port=${port})`,
      'c.start()',
      'print("ready", flush=True)',
      'import threading; threading.Event().wait()',
    ].join('\n')], 'ready', { name: 'aiosmtpd' });
    daemon = await createDaemon();
  });
  afterAll(async () => {
    await smtpd?.stop();
  });

  it('defines a server and a gateway, tests both, and shows the password censored', async () => {
    await daemon.ok('smtpserver', 'set', 'relay', '--server', '127.0.0.1', '--port', String(port), '--sender', 'otp@example.com',
      '--username', 'u1', '--password', 'relay-pw-123', '--timeout', '5');
    const shown = await daemon.ok('smtpserver', 'show', 'relay');
    expect(JSON.parse(shown)).toMatchObject({ identifier: 'relay', port, password: '__CENSORED__', username: 'u1' });
    // Sending the censored value back keeps the stored password.
    await daemon.ok('smtpserver', 'set', 'relay', '--server', '127.0.0.1', '--port', String(port), '--sender', 'otp@example.com',
      '--username', 'u1', '--password', '__CENSORED__');
    expect(JSON.parse(await daemon.ok('smtpserver', 'show', 'relay')).password).toBe('__CENSORED__');
    expect(readFileSync(path.join(daemon.dir, 'store.sqlite')).includes('relay-pw-123')).toBe(false);
    expect(await daemon.ok('smtpserver', 'test', 'relay', '--to', 'ops@example.com')).toBe('SMTP server relay accepted the message');
    await daemon.ok('gateway', 'set', 'mail', '--module', 'smtp', '--option', 'SMTPIDENTIFIER=relay', '--option', 'MAILTO={phone}@sms.example.com',
      '--option', 'BODY=OTP: {otp}', '--option', 'REGEXP=/\\+//');
    expect(await daemon.ok('gateway', 'test', 'mail', '--phone', '+4917012', '--message', 'hello')).toBe('gateway mail accepted the message');
    const all = mails();
    expect(all).toHaveLength(2);
    const sms = all.find((m) => m.includes('4917012@sms.example.com'))!;
    expect(sms).toMatch(/Subject: 4917012/);
    expect(sms).toContain('OTP: hello');
    expect(await daemon.ok('smtpserver', 'list')).toMatch(/relay\s+127\.0\.0\.1/);
  });
});
