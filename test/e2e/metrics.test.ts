// The metrics and health listener of a real daemon process: counters that move with real
// RADIUS traffic (radclient, raw datagrams), SMS through a real HTTP gateway, /readyz
// following the store as it goes away and comes back, and the listener's own failures.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { RFC4226_KEY } from '../helpers/fs.js';
import { counter, probe, scrape, scrapeUntil } from '../helpers/metrics.js';
import { createTestDatabase } from '../helpers/pg.js';
import { radclient } from '../helpers/radius-clients.js';
import { RawClient } from '../helpers/raw-radius.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';
import { proxiedTestDatabase, type TcpProxy } from '../helpers/tcp-proxy.js';
import { useHttpGateway } from '../helpers/sms-daemon.js';

const PHONE = '+4917012345';
const PIN = 'pin1234';
const stateOf = (reply: { attributes: Record<string, string[]> }) => reply.attributes.State?.[0] ?? '';

describe('metrics of a daemon on the embedded store', () => {
  let daemon: TestDaemon;
  let gw: SmsGateway;
  let url: string;

  beforeAll(async () => {
    gw = await startSmsGateway();
    daemon = await createDaemon({ metrics: true, radius: { reject_delay: '0' } });
    url = daemon.metricsUrl!;
    await useHttpGateway(daemon, gw.url);
    // Each test's PIN sends its own SMS: no reuse of a fresh challenge (sms.resend_interval).
    await daemon.ok('setting', 'set', 'sms.resend_interval', '0');
    await daemon.ok('token', 'enroll', '--user', 'alice', '--phone', PHONE, '--pin', PIN, '--otpkey', RFC4226_KEY, '--serial', 'MET00001');
    await daemon.ok('token', 'enroll', '--user', 'bob', '--phone', '+15550002', '--pin', 'bobpin', '--otpkey', RFC4226_KEY, '--serial', 'MET00002');
    await daemon.ok('token', 'set', 'MET00002', '--maxfail', '1');
    await daemon.start();
  });
  afterAll(async () => {
    await daemon?.stop();
    await gw?.close();
  });

  it('names the listener in the start line, answers /healthz and /readyz, and serves Prometheus text with the process defaults', async () => {
    expect(daemon.logs()).toContain(`"metrics":["${url}/metrics"]`);
    expect(await probe(url, '/healthz')).toEqual({ status: 200, body: 'ok\n' });
    expect(await probe(url, '/readyz')).toEqual({ status: 200, body: 'ready\n' });
    expect((await probe(url, '/nothing')).status).toBe(404);
    expect((await fetch(`${url}/metrics`, { method: 'POST' })).status).toBe(405);
    const s = await scrape(url);
    expect(s.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(s.value('sms_otp_process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(s.value('sms_otp_nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(s.value('sms_otp_build_info', { version: '0.1.0' })).toBe(1);
    expect(s.value('sms_otp_store_reachable')).toBe(1);
    expect(s.value('sms_otp_pin_check_queue_depth')).toBe(0);
    // Every metric of ours carries the prefix.
    const names = [...s.text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!);
    expect(names.filter((n) => !n.startsWith('sms_otp_'))).toEqual([]);
  });

  it('a login through radclient moves the request counters, the SMS counter and both latency histograms', async () => {
    const before = await scrape(url);
    const first = await radclient(daemon, { 'User-Name': '"alice"', 'User-Password': `"${PIN}"` });
    expect(first.code).toBe('Access-Challenge');
    const otp = (await gw.next()).query.get('text')!;
    const second = await radclient(daemon, { 'User-Name': '"alice"', 'User-Password': `"${otp}"`, State: stateOf(first) });
    expect(second.code).toBe('Access-Accept');

    const after = await scrape(url);
    const moved = (name: string, labels: Record<string, string>) => (after.value(name, labels) ?? 0) - (before.value(name, labels) ?? 0);
    expect(moved('sms_otp_radius_requests_total', { client: 'localhost', outcome: 'challenge' })).toBe(1);
    expect(moved('sms_otp_radius_requests_total', { client: 'localhost', outcome: 'accept' })).toBe(1);
    expect(moved('sms_otp_sms_sent_total', { gateway: 'gw1', module: 'http' })).toBe(1);
    expect(moved('sms_otp_gateway_send_seconds_count', { gateway: 'gw1', module: 'http', result: 'sent' })).toBe(1);
    expect(moved('sms_otp_login_duration_seconds_count', { step: 'first_factor', outcome: 'challenge' })).toBe(1);
    expect(moved('sms_otp_login_duration_seconds_count', { step: 'challenge_answer', outcome: 'accept' })).toBe(1);
    // The first round hashed the PIN and waited for the gateway: it took some time.
    expect(moved('sms_otp_login_duration_seconds_sum', { step: 'first_factor', outcome: 'challenge' })).toBeGreaterThan(0);
    expect(moved('sms_otp_sms_failed_total', { gateway: 'gw1', module: 'http' })).toBe(0);
  });

  it('counts open challenges and locked tokens from the store at scrape time', async () => {
    const challenge = await radclient(daemon, { 'User-Name': '"alice"', 'User-Password': `"${PIN}"` });
    expect(challenge.code).toBe('Access-Challenge');
    await gw.next();
    expect((await radclient(daemon, { 'User-Name': '"bob"', 'User-Password': '"wrong"' })).code).toBe('Access-Reject');
    // The counts are cached for 5 s: they show within a few scrapes.
    const s = await scrapeUntil(url, (m) => m.value('sms_otp_open_challenges') === 1 && m.value('sms_otp_locked_tokens') === 1);
    expect(s.value('sms_otp_open_challenges')).toBe(1);
    await daemon.ok('token', 'reset', 'MET00002');
    await scrapeUntil(url, (m) => m.value('sms_otp_locked_tokens') === 0);
  });

  it('a malformed datagram and one from an unknown address move the drop counters', async () => {
    const before = await scrape(url);
    const known = await RawClient.open('127.0.0.1');
    const stranger = await RawClient.open('127.0.0.2');
    try {
      known.send(Buffer.from('not a RADIUS packet'), daemon.port);
      stranger.send(Buffer.alloc(20), daemon.port);
      await sleep(300);
    } finally {
      known.close();
      stranger.close();
    }
    const after = await scrape(url);
    const moved = (name: string, labels: Record<string, string>) => (after.value(name, labels) ?? 0) - (before.value(name, labels) ?? 0);
    expect(moved('sms_otp_radius_drops_total', { client: 'localhost', reason: 'too_short' })).toBe(1);
    expect(moved('sms_otp_radius_requests_total', { client: 'localhost', outcome: 'dropped' })).toBe(1);
    expect(moved('sms_otp_radius_drops_total', { client: '(unknown)', reason: 'unknown_client' })).toBe(1);
  });

  it('a failing gateway moves the SMS failed counter; no user, phone number or PIN appears in a label', async () => {
    const before = await counter(url, 'sms_otp_sms_failed_total', { gateway: 'gw1', module: 'http' });
    const failedSends = await counter(url, 'sms_otp_gateway_send_seconds_count', { gateway: 'gw1', module: 'http', result: 'failed' });
    gw.respond(503, 'busy');
    const r = await radclient(daemon, { 'User-Name': '"alice"', 'User-Password': `"${PIN}"` });
    gw.respond(200, 'OK');
    expect(r.code).toBe('Access-Reject');
    await gw.next();
    expect(await counter(url, 'sms_otp_sms_failed_total', { gateway: 'gw1', module: 'http' })).toBe(before + 1);
    expect(await counter(url, 'sms_otp_gateway_send_seconds_count', { gateway: 'gw1', module: 'http', result: 'failed' })).toBe(failedSends + 1);
    const { text } = await scrape(url);
    for (const secret of [PIN, PHONE, 'alice', 'bob', 'MET00001', daemon.secret]) expect(text).not.toContain(secret);
  });

  it('an SMS held back by sms.allowed_prefixes or a limit moves the held-back counter, by rule', async () => {
    const heldBack = (rule: string) => counter(url, 'sms_otp_sms_held_back_total', { rule });
    const [prefixesBefore, phoneBefore] = [await heldBack('allowed_prefixes'), await heldBack('phone')];
    await daemon.configure('setting', 'set', 'sms.allowed_prefixes', '+99');
    expect((await radclient(daemon, { 'User-Name': '"bob"', 'User-Password': '"bobpin"' })).code).toBe('Access-Reject');
    expect(await heldBack('allowed_prefixes')).toBe(prefixesBefore + 1);
    await daemon.configure('setting', 'set', 'sms.allowed_prefixes', '');
    await daemon.configure('setting', 'set', 'sms.limit.phone', '1/10m');
    expect((await radclient(daemon, { 'User-Name': '"bob"', 'User-Password': '"bobpin"' })).code).toBe('Access-Challenge');
    expect((await radclient(daemon, { 'User-Name': '"bob"', 'User-Password': '"bobpin"' })).code).toBe('Access-Reject');
    expect(await heldBack('phone')).toBe(phoneBefore + 1);
    await daemon.configure('setting', 'set', 'sms.limit.phone', '');
  });

  it('a metrics port in use stops a second daemon with one line naming metrics.listen.0', async () => {
    const port = Number(new URL(url).port);
    const other = await createDaemon({ metrics: { port } });
    const failure = await other.start().then(
      () => undefined,
      (err: Error) => err.message,
    );
    await other.stop();
    expect(failure).toBeDefined();
    expect(failure).toMatch(new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port} \\(metrics\\.listen\\.0\\): the address is in use`));
    expect(failure).not.toMatch(/\n\s+at /);
  });

  it('closes the listener when the daemon stops (SIGTERM)', async () => {
    await daemon.stop();
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    expect(daemon.logs()).toContain('sms-otp-radiusd stopped');
  });
});

describe('/readyz follows the PostgreSQL store', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: TcpProxy;
  let daemon: TestDaemon;
  let url: string;

  beforeAll(async () => {
    let viaProxy: string;
    ({ db, proxy, url: viaProxy } = await proxiedTestDatabase());
    daemon = await createDaemon({ database: { client: 'pg', url: viaProxy }, metrics: true });
    url = daemon.metricsUrl!;
    await daemon.start();
  });
  afterAll(async () => {
    await daemon?.stop();
    await proxy?.close();
    await db?.drop();
  });

  async function readyzUntil(status: number, timeoutMs: number): Promise<{ status: number; body: string }> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const r = await probe(url, '/readyz');
      if (r.status === status || Date.now() > until) return r;
      await sleep(100);
    }
  }

  it('answers 503 while the store is unreachable and 200 again once it is back; /healthz stays 200', async () => {
    expect(await probe(url, '/readyz')).toEqual({ status: 200, body: 'ready\n' });
    // The store counts run on PostgreSQL too (a failed count would leave the gauges absent).
    const up = await scrape(url);
    expect(up.value('sms_otp_open_challenges')).toBe(0);
    expect(up.value('sms_otp_locked_tokens')).toBe(0);
    expect(up.value('sms_otp_store_errors_total', { operation: 'count' })).toBeUndefined();
    const probeErrors = await counter(url, 'sms_otp_store_errors_total', { operation: 'probe' });

    proxy.down('reset');
    // The health comes from the probe every 0.5 s: 503 within 2 s.
    expect(await readyzUntil(503, 2000)).toEqual({ status: 503, body: 'not ready: the store does not answer\n' });
    expect(await probe(url, '/healthz')).toEqual({ status: 200, body: 'ok\n' });
    const started = Date.now();
    const down = await scrape(url);
    expect(Date.now() - started, 'a scrape does not hang on the store').toBeLessThan(3000);
    expect(down.value('sms_otp_store_reachable')).toBe(0);
    expect(down.value('sms_otp_store_errors_total', { operation: 'probe' })).toBeGreaterThan(probeErrors);

    proxy.up();
    expect(await readyzUntil(200, 10_000)).toEqual({ status: 200, body: 'ready\n' });
    expect((await scrape(url)).value('sms_otp_store_reachable')).toBe(1);
  });

  it('answers 503 for a store that hangs (a dead link), and /metrics still answers in time', async () => {
    proxy.down('blackhole');
    try {
      expect((await readyzUntil(503, 4000)).status).toBe(503);
      const started = Date.now();
      await scrape(url);
      expect(Date.now() - started, 'the store counts are bounded by their 2 s timeout').toBeLessThan(3500);
    } finally {
      proxy.up();
    }
    expect((await readyzUntil(200, 10_000)).status).toBe(200);
  });
});
