// OpenVPN 2.6 with openvpn-auth-radius 2.1 (Debian's packages) as the NAS, pointed at the
// daemon for authentication and accounting, as docs/nas.md configures it:
// - auth-user-pass from a file: the two-pass login (PIN → SMS and a reject; PIN+OTP → in);
// - `static-challenge "Enter code" 1`: the password reaches us as SCRV1:<base64 PIN>:<base64
//   code>, built by OpenVPN from its console prompt, or by the management interface client
//   as OpenVPN GUI builds it.
// The plugin refuses a connection whose Accounting-Start nobody answers: a connection that
// completes proves accounting answered, and its session is read back with `session list`.
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, freeShortUdpPort, freeTcpPort, freeUdpPort, type TestDaemon } from '../helpers/daemon.js';
import { RFC4226_KEY, tempDir } from '../helpers/fs.js';
import { makeCertificates, startOpenVpnClient, startOpenVpnServer, type OpenVpnClient } from '../helpers/openvpn.js';
import type { RunningProcess } from '../helpers/process.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';
import { useHttpGateway } from '../helpers/sms-daemon.js';

const PIN = 'vpnpin42';
const SECRET = 'ovpn-shared-7f3a';

interface ListedSession {
  user: string;
  sessionId: string;
  nasIdentifier: string;
  framedIpAddress: string;
  started: string | null;
  stopped: string | null;
}

describe('OpenVPN 2.6 + openvpn-auth-radius against the daemon (authentication and accounting)', () => {
  let daemon: TestDaemon;
  let gw: SmsGateway;
  let server: RunningProcess;
  let dir: string;
  let serverPort: number;
  const clients: OpenVpnClient[] = [];

  beforeAll(async () => {
    dir = tempDir('smsotp-openvpn-');
    makeCertificates(dir);
    gw = await startSmsGateway();
    // The plugin cuts authport and acctport to four characters: both below 10000.
    const authPort = await freeShortUdpPort();
    let acctPort = await freeShortUdpPort();
    while (acctPort === authPort) acctPort = await freeShortUdpPort();
    daemon = await createDaemon({
      port: authPort,
      secret: SECRET,
      // The plugin signs nothing: its Access-Request carries User-Name, User-Password,
      // NAS-IP-Address, NAS-Port, Service-Type, Calling-Station-Id, NAS-Identifier,
      // Acct-Session-Id and NAS-Port-Type, and no Message-Authenticator (seen on the wire).
      clients: [{ name: 'openvpn', address: '127.0.0.1/32', secret: SECRET, require_message_authenticator: 'no' }],
      radius: { accounting_listen: `[ { host: "127.0.0.1", port: ${acctPort} } ]`, reject_delay: '0' },
    });
    await useHttpGateway(daemon, gw.url);
    // Default sms.resend_interval: after an accept, the next PIN-only login sends a new SMS
    // (an accept ends the challenge whose OTP it used), which the two-pass login relies on.
    await daemon.ok('token', 'enroll', '--user', 'alice', '--phone', '+4917012345', '--pin', PIN, '--otpkey', RFC4226_KEY, '--serial', 'PISM0VPN0001');
    await daemon.start();
    serverPort = await freeUdpPort();
    server = await startOpenVpnServer({ dir, port: serverPort, radius: { authPort, acctPort, secret: SECRET } });
  }, 60_000);
  afterAll(async () => {
    if (process.env.SHOW_AUDIT) console.log(await daemon.ok('audit', 'list'));
    for (const c of clients) await c.stop();
    await server?.stop();
    await daemon?.stop();
    await gw?.close();
  });

  const sessions = async () => JSON.parse(await daemon.ok('session', 'list', '--json', '--user', 'alice')) as ListedSession[];
  const until = async <T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const v = await read();
      if (ok(v)) return v;
      if (Date.now() > end) throw new Error(`${what} did not happen within ${ms} ms:\n${server.output().slice(-3000)}\n${daemon.logs().slice(-3000)}`);
      await sleep(250);
    }
  };

  /** A client with auth-user-pass from a file (mode 600), as an unattended client runs. */
  const withPasswordFile = (name: string, password: string) => {
    const file = path.join(dir, `${name}.pass`);
    writeFileSync(file, `alice\n${password}\n`, { mode: 0o600 });
    const client = startOpenVpnClient({ dir, serverPort, lines: [`auth-user-pass ${file}`] }, name);
    clients.push(client);
    return client;
  };

  it('two-pass login: the PIN alone is refused and sends the SMS; PIN+OTP connects, and its Accounting-Start is stored', async () => {
    const first = withPasswordFile('pass1', PIN);
    expect(await first.outcome(), first.output()).toBe('auth_failed');
    const otp = (await gw.next()).query.get('text')!;
    expect(otp).toMatch(/^\d{6}$/);

    const second = withPasswordFile('pass2', `${PIN}${otp}`);
    expect(await second.outcome(), `${second.output()}\n${server.output().slice(-2000)}`).toBe('connected');
    const [row] = await until('the Accounting-Start row', sessions, (s) => s.length === 1);
    expect(row).toMatchObject({ user: 'alice', nasIdentifier: 'OpenVpn', stopped: null });
    expect(row!.framedIpAddress).toMatch(/^10\.199\.0\.\d+$/);

    // Disconnect: the plugin's Accounting-Stop closes the session.
    await second.stop();
    const [stopped] = await until('the Accounting-Stop', sessions, (s) => s[0]?.stopped !== null);
    expect(stopped!.sessionId).toBe(row!.sessionId);
    const logs = daemon.logs();
    for (const secret of [PIN, otp, SECRET]) expect(logs).not.toContain(secret);
  }, 90_000);

  it('a wrong OTP is refused', async () => {
    const wrong = withPasswordFile('wrong', `${PIN}000000`);
    expect(await wrong.outcome(), wrong.output()).toBe('auth_failed');
    expect((await sessions()).filter((s) => s.stopped === null)).toHaveLength(0);
  }, 60_000);

  /**
   * A client with `static-challenge "Enter code" 1` whose password and response come from the
   * management interface, as OpenVPN GUI answers: SCRV1 with both in base64.
   */
  async function staticChallengeClient(name: string, response: string): Promise<OpenVpnClient> {
    const managementPort = await freeTcpPort();
    const client = startOpenVpnClient(
      { dir, serverPort, lines: ['auth-user-pass', 'static-challenge "Enter code" 1', `management 127.0.0.1 ${managementPort}`, 'management-query-passwords'] },
      name,
    );
    clients.push(client);
    let socket: net.Socket | undefined;
    for (let i = 0; i < 50 && !socket; i++) {
      socket = await new Promise<net.Socket | undefined>((resolve) => {
        const s = net.connect(managementPort, '127.0.0.1', () => resolve(s));
        s.once('error', () => resolve(undefined));
      });
      if (!socket) await sleep(100);
    }
    if (!socket) throw new Error(`no management interface:\n${client.output()}`);
    let seen = '';
    socket.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const asked = /^>PASSWORD:Need 'Auth' username\/password SC:1,Enter code\r?$/m.exec(seen);
      if (!asked) return;
      seen = '';
      const b64 = (text: string) => Buffer.from(text).toString('base64');
      socket!.write(`username "Auth" alice\npassword "Auth" "SCRV1:${b64(PIN)}:${b64(response)}"\n`);
    });
    void client.outcome(60_000).then(() => socket!.destroy());
    return client;
  }

  it('static challenge: an empty response sends the SMS and is refused with the prompt; the code as the response connects', async () => {
    const ask = await staticChallengeClient('scrv1-ask', '');
    expect(await ask.outcome(), ask.output()).toBe('auth_failed');
    const otp = (await gw.next()).query.get('text')!;
    expect(server.output()).toContain('Enter the OTP from the SMS:');

    const answer = await staticChallengeClient('scrv1-answer', otp);
    expect(await answer.outcome(), `${answer.output()}\n${server.output().slice(-2000)}`).toBe('connected');
    await until('the second session', sessions, (s) => s.filter((x) => x.stopped === null).length === 1);
    await answer.stop();
  }, 90_000);

  it('static challenge at the console: OpenVPN asks for the code and builds SCRV1 itself', async () => {
    const ask = consoleClient('console-ask', '');
    expect(await ask.outcome(), ask.output()).toBe('auth_failed');
    const otp = (await gw.next()).query.get('text')!;
    const answer = consoleClient('console-answer', otp);
    expect(await answer.outcome(), `${answer.output()}\n${server.output().slice(-2000)}`).toBe('connected');
    expect(answer.output()).toContain('CHALLENGE: Enter code');
    await answer.stop();
  }, 90_000);

  /** Credentials from a file, the static-challenge response typed at OpenVPN's console prompt. */
  function consoleClient(name: string, response: string): OpenVpnClient {
    const file = path.join(dir, `${name}.pass`);
    writeFileSync(file, `alice\n${PIN}\n`, { mode: 0o600 });
    const client = startOpenVpnClient(
      { dir, serverPort, lines: [`auth-user-pass ${file}`, 'static-challenge "Enter code" 1'], console: [['Enter code', response]] },
      name,
    );
    clients.push(client);
    return client;
  }

  it('static challenge: a wrong code is refused', async () => {
    const wrong = await staticChallengeClient('scrv1-wrong', '000000');
    expect(await wrong.outcome(), wrong.output()).toBe('auth_failed');
  }, 60_000);
});
