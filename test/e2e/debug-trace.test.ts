// The debug trace as an operator uses it: `serve --debug` prints each request's decisions in
// plain lines (client, attributes with secrets masked, user and realm, tokens, first factor
// and the setting that chose it, gateway, verdict, reply), never the PIN, the OTP, the State
// or the shared secret; SIGUSR1 turns the trace of a running daemon on and off; POST
// /system/debug turns it on for one user only. docs/debugging.md shows this trace.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, freeTcpPort, type TestDaemon } from '../helpers/daemon.js';
import { docsExample } from '../helpers/docs-blocks.js';
import { BIN, RFC4226_KEY } from '../helpers/fs.js';
import { startProcess, type RunningProcess } from '../helpers/process.js';
import { radclient } from '../helpers/radius-clients.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';
import { useHttpGateway } from '../helpers/sms-daemon.js';

const PIN = 'pin-4711-secret';
const SECRET = 'shared-secret-0815';

describe('debug trace', () => {
  let daemon: TestDaemon;
  let gw: SmsGateway;
  let serve: RunningProcess | undefined;
  let httpPort: number;
  let key: string;

  const until = async (test: () => boolean, what: string) => {
    const deadline = Date.now() + 10_000;
    while (!test()) {
      if (Date.now() > deadline) throw new Error(`${what}:\n${serve?.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const challengeLogin = async (user: string) => {
    const first = await radclient(daemon, { 'User-Name': `"${user}"`, 'User-Password': `"${PIN}"`, 'NAS-Identifier': '"fw-1"' });
    expect(first.code).toBe('Access-Challenge');
    const otp = (await gw.next()).query.get('text')!;
    const second = await radclient(daemon, { 'User-Name': `"${user}"`, 'User-Password': `"${otp}"`, State: first.attributes.State![0]! });
    expect(second.code).toBe('Access-Accept');
    return { otp, state: first.attributes.State![0]! };
  };
  const start = async (...flags: string[]) => {
    serve = await startProcess(process.execPath, [BIN, 'serve', ...flags, '--config', daemon.config], 'sms-otp-radiusd started', { cwd: daemon.dir, name: 'daemon' });
  };

  beforeAll(async () => {
    gw = await startSmsGateway();
    httpPort = await freeTcpPort();
    daemon = await createDaemon({ secret: SECRET, radius: { reject_delay: '0' }, http: { listen: `[ { host: 127.0.0.1, port: ${httpPort} } ]` } });
    await useHttpGateway(daemon, gw.url);
    await daemon.ok('token', 'enroll', '--user', 'alice', '--realm', 'corp', '--phone', '+4917012345', '--pin', PIN, '--otpkey', RFC4226_KEY, '--serial', 'PISMA1');
    key = await daemon.ok('apikey', 'create', '--role', 'admin');
    // A policy that applies to alice: the trace names it and what it sets.
    await daemon.ok('policy', 'set', 'corp-otp', '--scope', 'authentication', '--action', 'otplen=6', '--realm', 'corp');
    await daemon.ok('token', 'enroll', '--user', 'bob', '--phone', '+4917054321', '--pin', PIN, '--serial', 'PISMB1');
  }, 60_000);
  afterAll(async () => {
    await serve?.stop();
    await gw?.close();
  });

  it('serve --debug shows a challenge login\'s decisions, with no PIN, OTP, State or secret', async () => {
    await start('--debug');
    const { otp, state } = await challengeLogin('alice@corp');
    await until(() => /\(2\) Access-Accept/.test(serve!.output()), 'the second request was not traced');
    const out = serve!.output();
    // docs/debugging.md shows this trace: each of its lines is a line of the real one (the packet ids and seconds left aside).
    for (const sample of docsExample('debug-trace').split('\n').filter(Boolean)) {
      const pattern = sample.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ id \d+/g, ' id \\d+')
        // The seconds left of the challenge: 299 when the SMS took over a second (a loaded machine).
        .replace(/Session-Timeout = \d+/, 'Session-Timeout = \\d+');
      expect(out, sample).toMatch(new RegExp(`^${pattern}$`, 'm'));
    }
    for (const line of [
      /^\(1\) Access-Request id \d+ from client localhost \(127\.0\.0\.1\)$/m,
      /^\(1\) {3}User-Name = "alice@corp"$/m,
      /^\(1\) {3}User-Password = <masked, 16 bytes>$/m,
      /^\(1\) {3}NAS-Identifier = "fw-1"$/m,
      /^\(1\) first factor: login name 'alice@corp' may mean .*alice \(realm 'corp'\)$/m,
      /^\(1\) user alice, realm 'corp': tokens PISMA1 \(active, fail counter 0\/10\)$/m,
      /^\(1\) policy corp-otp sets otplen=6$/m,
      /^\(1\) first factor is the token's PIN \(otppin tokenpin\)$/m,
      /^\(1\) the password is the PIN of PISMA1: an SMS challenge follows$/m,
      /^\(1\) verdict: challenge because SMS sent; tokens PISMA1; SMS through gateway gw1 to \*{9}45; message '.*'$/m,
      /^\(1\) Access-Challenge id \d+$/m,
      /^\(1\) {3}State = <masked, \d+ bytes>$/m,
      /^\(2\) {3}State = <masked, \d+ bytes>$/m,
      /^\(2\) answer to a challenge \(State\): login name 'alice@corp' may mean/m,
      /^\(2\) verdict: accept because challenge answered; tokens PISMA1; message '.*'$/m,
      /^\(2\) Access-Accept id \d+$/m,
    ]) {
      expect(out).toMatch(line);
    }
    expect(out).not.toContain(PIN);
    expect(out).not.toContain(otp);
    expect(out).not.toContain(SECRET);
    expect(out).not.toContain(Buffer.from(state.replace(/^0x/, ''), 'hex').toString('latin1'));
  }, 30_000);

  it('SIGUSR1 turns the trace of a running daemon on and off', async () => {
    await serve?.stop();
    await start();
    const traced = () => (serve!.output().match(/"trace":\d+/g) ?? []).length;
    await challengeLogin('bob');
    expect(traced()).toBe(0);
    serve!.signal('SIGUSR1');
    await until(() => serve!.output().includes('debug trace on for every request'), 'SIGUSR1 did not turn the trace on');
    const { otp } = await challengeLogin('bob');
    await until(() => /"trace":2,.*Access-Accept/.test(serve!.output()), 'the login was not traced');
    expect(serve!.output()).toMatch(/"trace":1,.*"msg":"user bob, realm '': tokens PISMB1/);
    expect(serve!.output()).not.toContain(otp);
    expect(serve!.output()).not.toContain(PIN);
    serve!.signal('SIGUSR1');
    await until(() => serve!.output().includes('debug trace off'), 'SIGUSR1 did not turn the trace off');
    const before = traced();
    await challengeLogin('bob');
    expect(traced()).toBe(before);
  }, 30_000);

  it('POST /system/debug traces one user only, for a while', async () => {
    const post = (body: string) =>
      fetch(`http://127.0.0.1:${httpPort}/system/debug`, { method: 'POST', headers: { Authorization: key, 'content-type': 'application/x-www-form-urlencoded' }, body });
    const bad = await post('user=alice&duration=forever');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain("parameter 'duration'");
    // The command docs/debugging.md gives, run as written against this daemon.
    const curl = docsExample('debug-user').replace('http://127.0.0.1:5080', `http://127.0.0.1:${httpPort}`);
    const on = await promisify(execFile)('sh', ['-c', curl], { env: { ...process.env, ADMIN_KEY: key } });
    expect(JSON.parse(on.stdout)).toMatchObject({ result: { status: true } });
    const before = (serve!.output().match(/"trace":\d+/g) ?? []).length;
    await challengeLogin('bob');
    expect((serve!.output().match(/"trace":\d+/g) ?? []).length).toBe(before);
    await challengeLogin('alice@corp');
    await until(() => /"msg":"Access-Accept id \d+"/.test(serve!.output().split('debug trace off')[1] ?? ''), 'alice was not traced');
    // The HTTP front traces the same user the same way, the password masked.
    const check = await fetch(`http://127.0.0.1:${httpPort}/validate/check`, {
      method: 'POST',
      headers: { Authorization: key, 'content-type': 'application/x-www-form-urlencoded' },
      body: `user=alice%40corp&pass=${PIN}`,
    });
    expect(check.status).toBe(200);
    await until(() => /"msg":"answer: challenge \(tokens PISMA1\)/.test(serve!.output()), 'the HTTP request was not traced');
    expect(serve!.output()).toMatch(/"msg":"HTTP POST \/validate\/check from 127\.0\.0\.1"/);
    expect(serve!.output()).toMatch(/"msg":"  pass = <masked, 15 characters>"/);
    expect(serve!.output()).not.toContain(PIN);
  }, 30_000);
});
