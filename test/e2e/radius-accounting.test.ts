// Accounting (RFC 2866) as a NAS does it: radclient sends Start, Interim-Update and Stop to
// radius.accounting_listen and verifies every Accounting-Response; the sessions are then read
// back with `session list` and GET /session/, on SQLite and on PostgreSQL. Retransmissions,
// a wrong secret and an unknown address are sent as raw datagrams.
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { hash, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, freeTcpPort, freeUdpPort, type TestDaemon } from '../helpers/daemon.js';
import { curl } from '../helpers/http-clients.js';
import { counter } from '../helpers/metrics.js';
import { createTestDatabase } from '../helpers/pg.js';
import { RawClient } from '../helpers/raw-radius.js';
import { radclient } from '../helpers/radius-clients.js';
import { encodeAttribute } from '../helpers/radius-encode.js';

const execFileAsync = promisify(execFile);

/** One Accounting-Request with radclient; 'Accounting-Response' only when radclient verified the Response Authenticator. */
async function radclientAcct(port: number, secret: string, attributes: Record<string, string>): Promise<string> {
  const lines = Object.entries(attributes).map(([k, v]) => `${k} = ${v}`);
  const child = execFileAsync('radclient', ['-x', '-r', '1', '-t', '2', `127.0.0.1:${port}`, 'acct', secret], { timeout: 15_000 });
  child.child.stdin?.end(`${lines.join('\n')}\n`);
  let output: string;
  try {
    output = (await child).stdout;
  } catch (err) {
    output = `${(err as { stdout?: string }).stdout ?? ''}${(err as { stderr?: string }).stderr ?? ''}`;
  }
  return /Received (Accounting-Response) Id/.exec(output)?.[1] ?? 'timeout';
}

/** An Accounting-Request signed as RFC 2866 §3 says, from attributes given as [type, value]. */
function accountingRequest(secret: string, identifier: number, attributes: Array<[number, Buffer]>): Buffer {
  const body = Buffer.concat(attributes.map(([t, v]) => encodeAttribute(t, v)));
  const packet = Buffer.concat([Buffer.from([4, identifier, 0, 0]), Buffer.alloc(16), body]);
  packet.writeUInt16BE(packet.length, 2);
  hash('md5', Buffer.concat([packet, Buffer.from(secret)]), 'buffer').copy(packet, 4);
  return packet;
}
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

interface ListedSession {
  client: string;
  sessionId: string;
  user: string;
  nasIpAddress: string;
  framedIpAddress: string;
  started: string | null;
  stopped: string | null;
  sessionTime: number | null;
  inputOctets: number | null;
  outputOctets: number | null;
  terminateCause: string;
}

for (const kind of ['sqlite', 'pg'] as const) {
  describe(`RADIUS accounting on ${kind === 'pg' ? 'PostgreSQL' : 'SQLite'}`, () => {
    let daemon: TestDaemon;
    let db: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
    let acctPort: number;
    let httpBase: string;
    let adminKey: string;
    const sessionId = `S${randomBytes(4).toString('hex')}`;

    beforeAll(async () => {
      if (kind === 'pg') db = await createTestDatabase();
      acctPort = await freeUdpPort();
      const httpPort = await freeTcpPort();
      httpBase = `http://127.0.0.1:${httpPort}`;
      daemon = await createDaemon({
        ...(db ? { database: { client: 'pg' as const, url: db.url } } : {}),
        radius: { accounting_listen: `[ { host: "127.0.0.1", port: ${acctPort} } ]` },
        http: { listen: `[ { host: "127.0.0.1", port: ${httpPort} } ]` },
        metrics: true,
      });
      adminKey = await daemon.ok('apikey', 'create', '--role', 'admin');
      await daemon.start();
    });
    afterAll(async () => {
      await daemon?.stop();
      await db?.drop();
    });

    const sessions = async (...filters: string[]) => JSON.parse(await daemon.ok('session', 'list', '--json', ...filters)) as ListedSession[];

    it('Start, Interim-Update and Stop from radclient are answered and kept as one session row', async () => {
      const common = { 'User-Name': '"alice"', 'Acct-Session-Id': `"${sessionId}"`, 'NAS-IP-Address': '192.0.2.10', 'Framed-IP-Address': '10.8.0.6' };
      expect(await radclientAcct(acctPort, daemon.secret, { ...common, 'Acct-Status-Type': 'Start' })).toBe('Accounting-Response');
      let [row] = await sessions('--user', 'alice');
      expect(row).toMatchObject({ client: 'localhost', sessionId, user: 'alice', nasIpAddress: '192.0.2.10', framedIpAddress: '10.8.0.6', stopped: null });
      expect(Date.parse(row!.started!)).toBeGreaterThan(Date.now() - 60_000);
      expect(await sessions('--open')).toHaveLength(1);

      const interim = { ...common, 'Acct-Status-Type': 'Interim-Update', 'Acct-Session-Time': '60', 'Acct-Input-Octets': '1000', 'Acct-Output-Octets': '2000' };
      expect(await radclientAcct(acctPort, daemon.secret, interim)).toBe('Accounting-Response');
      [row] = await sessions();
      expect(row).toMatchObject({ sessionTime: 60, inputOctets: 1000, outputOctets: 2000, stopped: null });

      const stop = {
        ...common, 'Acct-Status-Type': 'Stop', 'Acct-Session-Time': '120', 'Acct-Input-Octets': '5', 'Acct-Input-Gigawords': '1',
        'Acct-Output-Octets': '4000', 'Acct-Terminate-Cause': 'User-Request',
      };
      expect(await radclientAcct(acctPort, daemon.secret, stop)).toBe('Accounting-Response');
      const all = await sessions();
      expect(all).toHaveLength(1);
      expect(all[0]).toMatchObject({ sessionTime: 120, inputOctets: 2 ** 32 + 5, outputOctets: 4000, terminateCause: 'User-Request' });
      expect(all[0]!.stopped).not.toBeNull();
      expect(await sessions('--open')).toHaveLength(0);
      expect(await sessions('--client', 'elsewhere')).toHaveLength(0);
      const table = await daemon.ok('session', 'list');
      expect(table).toContain(sessionId);
      expect(table).toContain('User-Request');

      expect(await counter(daemon.metricsUrl!, 'sms_otp_radius_accounting_requests_total', { client: 'localhost', status_type: 'start' })).toBe(1);
      expect(await counter(daemon.metricsUrl!, 'sms_otp_radius_accounting_requests_total', { client: 'localhost', status_type: 'interim' })).toBe(1);
      expect(await counter(daemon.metricsUrl!, 'sms_otp_radius_accounting_requests_total', { client: 'localhost', status_type: 'stop' })).toBe(1);
    });

    it('GET /session/ shows the sessions behind the admin key', async () => {
      const unauthorised = await curl(`${httpBase}/session/`, ['-G']);
      expect(unauthorised.status).toBe(401);
      const answer = await curl(`${httpBase}/session/`, ['-G', '--data-urlencode', 'user=alice', '-H', `PI-Authorization: ${adminKey}`]);
      expect(answer.status, answer.text).toBe(200);
      const value = (answer.json?.result as unknown as { value: { sessions: ListedSession[]; count: number } }).value;
      expect(value.count).toBe(1);
      expect(value.sessions[0]).toMatchObject({ sessionId, user: 'alice', terminateCause: 'User-Request' });
      const open = await curl(`${httpBase}/session/`, ['-G', '--data-urlencode', 'open=1', '-H', `PI-Authorization: ${adminKey}`]);
      expect((open.json?.result as unknown as { value: { count: number } }).value.count).toBe(0);
    });

    it('answers a retransmission from the cache, byte for byte, without a second write', async () => {
      const raw = await RawClient.open();
      try {
        const request = accountingRequest(daemon.secret, 77, [
          [40, u32(1)], [1, Buffer.from('bob')], [44, Buffer.from('retransmitted-1')],
        ]);
        const first = await raw.request(request, acctPort);
        const again = await raw.request(request, acctPort);
        expect(first?.[0]).toBe(5);
        expect(again && first && again.equals(first)).toBe(true);
        expect(await sessions('--user', 'bob')).toHaveLength(1);
        expect(await counter(daemon.metricsUrl!, 'sms_otp_radius_accounting_requests_total', { client: 'localhost', status_type: 'start' })).toBe(2);
        expect(await counter(daemon.metricsUrl!, 'sms_otp_radius_duplicates_total', { client: 'localhost' })).toBe(1);
      } finally {
        raw.close();
      }
    });

    it('drops a wrong secret, an unknown address and a request without Acct-Session-Id, and counts each', async () => {
      expect(await radclientAcct(acctPort, 'not-the-secret', { 'User-Name': '"mallory"', 'Acct-Session-Id': '"x1"', 'Acct-Status-Type': 'Start' })).toBe('timeout');
      expect(await counter(daemon.metricsUrl!, 'sms_otp_radius_drops_total', { client: 'localhost', reason: 'bad_request_authenticator' })).toBeGreaterThanOrEqual(1);
      expect(daemon.logs()).toContain('Request Authenticator does not verify');

      const stranger = await RawClient.open('127.0.0.2');
      try {
        const request = accountingRequest(daemon.secret, 5, [[40, u32(1)], [44, Buffer.from('from-elsewhere')]]);
        expect(await stranger.request(request, acctPort, 1000)).toBeUndefined();
      } finally {
        stranger.close();
      }
      expect(await counter(daemon.metricsUrl!, 'sms_otp_radius_drops_total', { client: '(unknown)', reason: 'unknown_client' })).toBe(1);

      const raw = await RawClient.open();
      try {
        expect(await raw.request(accountingRequest(daemon.secret, 9, [[40, u32(1)], [1, Buffer.from('eve')]]), acctPort, 1000)).toBeUndefined();
      } finally {
        raw.close();
      }
      expect(await counter(daemon.metricsUrl!, 'sms_otp_radius_drops_total', { client: 'localhost', reason: 'missing_attribute' })).toBe(1);
      const names = (await sessions()).map((s) => s.user);
      expect(names).not.toContain('mallory');
      expect(names).not.toContain('eve');
      expect(daemon.logs()).not.toContain('not-the-secret');
      expect(daemon.logs()).not.toContain(daemon.secret);
    });

    it('the audit retention removes sessions not updated within audit.retention_days', async () => {
      // Acct-Delay-Time dates the event back: three days at the NAS before it reached us.
      const old = { 'User-Name': '"dora"', 'Acct-Session-Id': '"d1"', 'Acct-Status-Type': 'Start', 'Acct-Delay-Time': String(3 * 86_400) };
      expect(await radclientAcct(acctPort, daemon.secret, old)).toBe('Accounting-Response');
      expect(Date.parse((await sessions('--user', 'dora'))[0]!.started!)).toBeLessThan(Date.now() - 2 * 86_400_000);
      const kept = (await sessions()).length - 1;
      await daemon.configure('setting', 'set', 'audit.retention_days', '2');
      const until = Date.now() + 10_000;
      while ((await sessions('--user', 'dora')).length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
      expect(await sessions('--user', 'dora')).toHaveLength(0);
      expect(await sessions()).toHaveLength(kept);
    });

    it('Accounting-On closes the open sessions of that NAS', async () => {
      expect(await radclientAcct(acctPort, daemon.secret, { 'User-Name': '"carol"', 'Acct-Session-Id': '"c1"', 'Acct-Status-Type': 'Start' })).toBe('Accounting-Response');
      expect((await sessions('--open')).map((s) => s.user).sort()).toEqual(['bob', 'carol']);
      expect(await radclientAcct(acctPort, daemon.secret, { 'Acct-Status-Type': 'Accounting-On', 'NAS-IP-Address': '192.0.2.10' })).toBe('Accounting-Response');
      expect(await sessions('--open')).toHaveLength(0);
      expect((await sessions('--user', 'carol'))[0]!.terminateCause).toBe('Accounting-On');
    });
  });
}

describe('RADIUS accounting configuration', () => {
  it('an accounting port in use stops the daemon with one line naming radius.accounting_listen.0', async () => {
    const port = await freeUdpPort();
    const taken = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => taken.bind(port, '127.0.0.1', resolve));
    try {
      const daemon = await createDaemon({ radius: { accounting_listen: `[ { host: "127.0.0.1", port: ${port} } ]` } });
      const failure = await daemon.start().then(() => 'started', (err: Error) => err.message);
      await daemon.stop();
      expect(failure).toMatch(new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port} \\(radius\\.accounting_listen\\.0\\): the address is in use`));
      expect(failure).not.toMatch(/\n\s+at /);
    } finally {
      taken.close();
    }
  });

  it('answers nothing on accounting without radius.accounting_listen, and says so in the reload warning when it changes', async () => {
    const daemon = await createDaemon();
    try {
      await daemon.start();
      expect(daemon.logs()).not.toContain('RADIUS accounting listening');
      // Answered: the daemon is past its start-up and has its SIGHUP handler.
      expect((await radclient(daemon, { 'Packet-Type': 'Status-Server' })).code).toBe('Access-Accept');
      const port = await freeUdpPort();
      const { readFileSync, writeFileSync } = await import('node:fs');
      writeFileSync(daemon.config, readFileSync(daemon.config, 'utf8').replace('  clients:', `  accounting_listen: [ { host: "127.0.0.1", port: ${port} } ]\n  clients:`));
      daemon.process()!.signal('SIGHUP');
      const until = Date.now() + 5000;
      while (!daemon.logs().includes('apply only after a restart') && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect(daemon.logs()).toMatch(/"keys":\["radius.accounting_listen"\].*apply only after a restart/);
      expect(await radclientAcct(port, daemon.secret, { 'Acct-Session-Id': '"z"', 'Acct-Status-Type': 'Start' })).toBe('timeout');
    } finally {
      await daemon.stop();
    }
  });
});
