// Gateways as an operator sets them up: CLI definitions, `gateway test` and `smtpserver test`
// against real peers, secrets censored on show.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, freeTcpPort, type TestDaemon } from '../helpers/daemon.js';
import { RFC4226_HOTP, RFC4226_KEY, ROOT, tempDir } from '../helpers/fs.js';
import { startFakeGoogle } from '../helpers/google-fcm.js';
import { startModem } from '../helpers/modem.js';
import { startProcess, type RunningProcess } from '../helpers/process.js';
import { radclient } from '../helpers/radius-clients.js';
import { startSmsGateway } from '../helpers/sms-gateway.js';
import { startSmsc } from '../helpers/smsc.js';

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

describe('gateway test for every module, against its real peer', () => {
  let daemon: TestDaemon;
  const stops: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    daemon = await createDaemon();
  });
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  /** `gateway test` must fail with a non-zero exit and the reason on stderr. */
  async function testFails(id: string, phone: string): Promise<string> {
    const r = await daemon.cli('gateway', 'test', id, '--phone', phone, '--message', 'Code 287082');
    expect(r.code).not.toBe(0);
    expect(r.stderr).not.toContain('287082');
    return r.stderr;
  }

  it('http', async () => {
    const gw = await startSmsGateway();
    stops.push(() => gw.close());
    await daemon.ok('gateway', 'set', 'web', '--module', 'http', '--option', `URL=${gw.url}/send`, '--option', 'HTTP_METHOD=GET',
      '--option', 'to={phone}', '--option', 'text={otp}', '--option', 'RETURN_SUCCESS=ID');
    gw.respond(200, 'ID 4711');
    expect(await daemon.ok('gateway', 'test', 'web', '--phone', '+4917012', '--message', 'hello')).toBe('gateway web accepted the message');
    expect(gw.received.at(-1)!.query.get('to')).toBe('+4917012');
    gw.respond(200, 'ERR no credit');
    expect(await testFails('web', '+4917012')).toMatch(/gateway web: .*RETURN_SUCCESS/);
  });

  it('script', async () => {
    const dir = path.join(daemon.dir, 'scripts');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'sms.sh'), '#!/bin/sh\n[ "$1" = "+999" ] && exit 4\ncat > "$(dirname "$0")/sent-$1"\n');
    chmodSync(path.join(dir, 'sms.sh'), 0o755);
    await daemon.ok('gateway', 'set', 'sh', '--module', 'script', '--option', 'SCRIPT=sms.sh', '--option', 'BACKGROUND=wait');
    expect(await daemon.ok('gateway', 'test', 'sh', '--phone', '+4917012', '--message', 'hello')).toBe('gateway sh accepted the message');
    expect(readFileSync(path.join(dir, 'sent-+4917012'), 'utf8')).toBe('hello');
    expect(await testFails('sh', '+999')).toMatch(/gateway sh: script sms.sh exited with code 4/);
  });

  it('sipgate', async () => {
    const peer = await startProcess('/usr/bin/python3', ['-u', path.join(ROOT, 'test/peers/sipgate_xmlrpc.py')], 'ready', { name: 'xmlrpc' });
    stops.push(() => peer.stop());
    const url = `http://127.0.0.1:${/ready (\d+)/.exec(peer.output())![1]}/RPC2`;
    await daemon.ok('gateway', 'set', 'sip', '--module', 'sipgate', '--option', `URL=${url}`, '--option', 'USERNAME=otp', '--option', 'PASSWORD=secret-pw');
    expect(await daemon.ok('gateway', 'test', 'sip', '--phone', '+4917012', '--message', 'hello')).toBe('gateway sip accepted the message');
    expect(await peer.settledOutput()).toContain('"RemoteUri": "sip:4917012@sipgate.de"');
    await daemon.ok('gateway', 'set', 'sip', '--module', 'sipgate', '--option', `URL=${url}`, '--option', 'USERNAME=otp', '--option', 'PASSWORD=wrong-pw');
    const reason = await testFails('sip', '+4917012');
    expect(reason).toMatch(/gateway sip: .*HTTP 401/);
    expect(reason).not.toContain('wrong-pw');
  });

  it('smpp', async () => {
    const smsc = await startSmsc();
    stops.push(() => smsc.close());
    await daemon.ok('gateway', 'set', 'smsc', '--module', 'smpp', '--option', 'SMSC_HOST=127.0.0.1', '--option', `SMSC_PORT=${smsc.port}`,
      '--option', 'SYSTEM_ID=otp', '--option', 'PASSWORD=pw', '--option', 'S_ADDR=ACME');
    expect(await daemon.ok('gateway', 'test', 'smsc', '--phone', '4917012', '--message', 'hello')).toBe('gateway smsc accepted the message');
    expect(smsc.submits.at(-1)).toMatchObject({ destination_addr: '4917012', source_addr: 'ACME' });
    // The CLI unbinds before it exits.
    expect(smsc.unbinds).toBe(1);
    await daemon.ok('gateway', 'set', 'smsc', '--module', 'smpp', '--option', 'SMSC_HOST=127.0.0.1', '--option', `SMSC_PORT=${smsc.port}`,
      '--option', 'SYSTEM_ID=otp', '--option', 'PASSWORD=not-pw');
    expect(await testFails('smsc', '4917012')).toMatch(/gateway smsc: .*bind/i);
  });

  it('modem', async () => {
    const modem = await startModem(['--pin', '4711', '--fail-suffix', '999']);
    stops.push(() => modem.stop());
    await daemon.ok('gateway', 'set', 'gsm', '--module', 'modem', '--option', `PORT=${modem.device}`, '--option', 'PIN=4711', '--option', 'TIMEOUT=3');
    expect(JSON.parse(await daemon.ok('gateway', 'show', 'gsm')).options.PIN).toBe('__CENSORED__');
    expect(await daemon.ok('gateway', 'test', 'gsm', '--phone', '+4917012', '--message', 'hello')).toBe('gateway gsm accepted the message');
    expect((await modem.sms()).at(-1)).toMatchObject({ number: '+4917012', text: 'hello' });
    expect(await testFails('gsm', '+4917999')).toMatch(/gateway gsm: modem .*: \+CMS ERROR: 500/);
  });

  it('firebase', async () => {
    const google = await startFakeGoogle();
    stops.push(() => google.close());
    await daemon.ok('gateway', 'set', 'push', '--module', 'firebase', '--option', `JSON_CONFIG=${google.serviceAccountFile}`,
      '--option', `HTTPS_PROXY=${google.proxyUrl}`, '--option', `CA_FILE=${google.caFile}`);
    expect(await daemon.ok('gateway', 'test', 'push', '--phone', 'fcm-registration-token', '--message', 'hello')).toBe('gateway push accepted the message');
    expect(google.sent.at(-1)!.message).toMatchObject({ token: 'fcm-registration-token', data: { message: 'hello' } });
    expect(await testFails('push', 'unregistered-token')).toMatch(/gateway push: .*no longer registered/);
    // A token on a push gateway holds the app's registration token, not a phone number.
    await daemon.ok('token', 'enroll', '--user', 'erin', '--phone', 'fcm-registration-token', '--pin', '1234', '--gateway', 'push', '--serial', 'PUSH1');
    const phone = await daemon.cli('token', 'enroll', '--user', 'erin', '--phone', '+49 170 1234567', '--pin', '1234', '--gateway', 'push');
    expect(phone.code).toBe(2);
    expect(phone.stderr).toMatch(/--phone must be an app's registration token: 8 to 255 letters, digits and _ - : \. \(the token's gateway is a push gateway\)/);
    const bad = await daemon.cli('gateway', 'set', 'push2', '--module', 'firebase', '--option', `JSON_CONFIG=${path.join(daemon.dir, 'none.json')}`);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/option JSON_CONFIG: cannot read .*none.json \(ENOENT\)/);
  });
});

describe('RADIUS login with the OTP delivered by a GSM modem and by an SMSC', () => {
  let daemon: TestDaemon;
  const stops: Array<() => Promise<void>> = [];
  afterAll(async () => {
    await daemon?.stop();
    for (const stop of stops.reverse()) await stop();
  });

  it('PIN → challenge → the SMS the modem sent → Access-Accept; then the same through SMPP', async () => {
    const modem = await startModem(['--pin', '4711']);
    stops.push(() => modem.stop());
    const smsc = await startSmsc();
    stops.push(() => smsc.close());
    daemon = await createDaemon();
    await daemon.ok('gateway', 'set', 'gsm', '--module', 'modem', '--option', `PORT=${modem.device}`, '--option', 'PIN=4711');
    await daemon.ok('gateway', 'set', 'smsc', '--module', 'smpp', '--option', 'SMSC_HOST=127.0.0.1', '--option', `SMSC_PORT=${smsc.port}`,
      '--option', 'SYSTEM_ID=otp', '--option', 'PASSWORD=pw');
    await daemon.ok('token', 'enroll', '--user', 'carol', '--phone', '+4917055', '--pin', 'pin1234', '--otpkey', RFC4226_KEY, '--gateway', 'gsm');
    await daemon.ok('token', 'enroll', '--user', 'dave', '--phone', '4917066', '--pin', 'pin5678', '--otpkey', RFC4226_KEY, '--gateway', 'smsc');
    await daemon.start();

    const first = await radclient(daemon, { 'User-Name': '"carol"', 'User-Password': '"pin1234"' }, { timeout: 10 });
    expect(first.code).toBe('Access-Challenge');
    const sms = (await modem.sms()).at(-1)!;
    expect(sms).toMatchObject({ number: '+4917055', text: RFC4226_HOTP[1] });
    const second = await radclient(daemon, { 'User-Name': '"carol"', 'User-Password': `"${sms.text}"`, State: first.attributes.State![0]! });
    expect(second.code).toBe('Access-Accept');

    const challenge = await radclient(daemon, { 'User-Name': '"dave"', 'User-Password': '"pin5678"' }, { timeout: 10 });
    expect(challenge.code).toBe('Access-Challenge');
    const submitted = smsc.submits.at(-1)!;
    expect(submitted).toMatchObject({ destination_addr: '4917066' });
    const otp = (submitted.short_message as { message: string }).message;
    expect(otp).toBe(RFC4226_HOTP[1]);
    const accept = await radclient(daemon, { 'User-Name': '"dave"', 'User-Password': `"${otp}"`, State: challenge.attributes.State![0]! });
    expect(accept.code).toBe('Access-Accept');
    // The daemon keeps its bind open between messages and unbinds when it stops.
    expect(smsc.binds).toHaveLength(1);
    await daemon.stop();
    expect(smsc.unbinds).toBe(1);
  });
});
