// What real NAS send at the edges, in raw UDP on loopback: every kind of datagram the daemon
// drops is counted (sms_otp_radius_drops_total), logged at debug level one line each and
// warned about once per client and reason (no silent path); the zero-length User-Password
// radcli sends for an Enter at the prompt; Prompt (RFC 2869 §5.10) on Access-Challenge.
import { readFileSync, writeFileSync } from 'node:fs';
import { createHmac, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Attr, Code, parsePacket } from '../../src/radius/packet.js';
import { encodeAttribute, hidePassword } from '../helpers/radius-encode.js';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { RFC4226_KEY } from '../helpers/fs.js';
import { counter } from '../helpers/metrics.js';
import { buildRequest, RawClient } from '../helpers/raw-radius.js';
import { radclient } from '../helpers/radius-clients.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';
import { useHttpGateway } from '../helpers/sms-daemon.js';

const SECRET = 'edges-secret-77';
const attrs = (reply: Buffer, type: number) => parsePacket(reply).attributes.filter((a) => a.type === type).map((a) => a.value);
const text = (reply: Buffer, type: number) => attrs(reply, type).map((v) => v.toString('utf8'));

/** A signed Access-Request whose User-Password attribute carries exactly `hidden(authenticator)`. */
function withRawPassword(hidden: (authenticator: Buffer) => Buffer, state?: Buffer): Buffer {
  const authenticator = randomBytes(16);
  const body = Buffer.concat([
    encodeAttribute(Attr.MessageAuthenticator, Buffer.alloc(16)),
    encodeAttribute(Attr.UserName, Buffer.from('alice')),
    encodeAttribute(Attr.UserPassword, hidden(authenticator)),
    ...(state ? [encodeAttribute(Attr.State, state)] : []),
  ]);
  const packet = Buffer.concat([Buffer.from([Code.AccessRequest, randomBytes(1)[0]!, 0, 0]), authenticator, body]);
  packet.writeUInt16BE(packet.length, 2);
  createHmac('md5', SECRET).update(packet).digest().copy(packet, 22);
  return packet;
}

describe('RADIUS edges that real NAS hit', () => {
  let daemon: TestDaemon;
  let gw: SmsGateway;
  const clients: Record<string, RawClient> = {};

  beforeAll(async () => {
    gw = await startSmsGateway();
    daemon = await createDaemon({
      metrics: true,
      clients: [
        { name: 'strict', address: '127.0.0.1/32', secret: SECRET },
        { name: 'legacy', address: '127.0.0.2/32', secret: SECRET, require_message_authenticator: 'no' },
        { name: 'echo', address: '127.0.0.3/32', secret: SECRET, challenge_echo: 'yes' },
      ],
      radius: { reject_delay: '0' },
    });
    // Debug level: the line per dropped datagram.
    writeFileSync(daemon.config, readFileSync(daemon.config, 'utf8').replace('log: { level: info }', 'log: { level: debug }'));
    await useHttpGateway(daemon, gw.url);
    await daemon.ok('setting', 'set', 'sms.limit.phone', '');
    await daemon.ok('setting', 'set', 'sms.limit.user', '');
    await daemon.ok('setting', 'set', 'sms.resend_interval', '0');
    await daemon.ok('token', 'enroll', '--user', 'alice', '--phone', '+4917012345', '--pin', 'pin1234', '--otpkey', RFC4226_KEY);
    await daemon.start();
    for (const [name, from] of Object.entries({ strict: '127.0.0.1', legacy: '127.0.0.2', echo: '127.0.0.3', stranger: '127.0.0.9' })) {
      clients[name] = await RawClient.open(from);
    }
  });
  afterAll(async () => {
    Object.values(clients).forEach((c) => c.close());
    await daemon?.stop();
    await gw?.close();
  });

  const header = (code: number, length: number, total = length) => {
    const packet = Buffer.alloc(total);
    packet[0] = code;
    packet[1] = 7;
    packet.writeUInt16BE(length, 2);
    randomBytes(16).copy(packet, 4);
    return packet;
  };

  const malformed: Array<{ reason: string; client: string; packet: () => Buffer }> = [
    { reason: 'too_short', client: 'strict', packet: () => Buffer.from('short datagram') },
    { reason: 'too_long', client: 'strict', packet: () => header(Code.AccessRequest, 4096, 5000) },
    { reason: 'bad_length', client: 'strict', packet: () => header(Code.AccessRequest, 60, 40) },
    {
      reason: 'bad_attribute',
      client: 'strict',
      packet: () => Buffer.concat([header(Code.AccessRequest, 24), Buffer.from([Attr.UserName, 1, 0, 0])]).subarray(0, 24),
    },
    {
      reason: 'too_many_attributes',
      client: 'strict',
      packet: () => {
        const p = Buffer.concat([header(Code.AccessRequest, 20), Buffer.alloc(201 * 2, 0).map((_v, i) => (i % 2 ? 2 : Attr.Class))]);
        p.writeUInt16BE(p.length, 2);
        return p;
      },
    },
    { reason: 'unsupported_code', client: 'strict', packet: () => buildRequest({ secret: SECRET, code: 5, user: 'alice' }) },
    { reason: 'bad_message_authenticator', client: 'strict', packet: () => buildRequest({ secret: SECRET, user: 'alice', password: 'x', messageAuthenticator: 'wrong' }) },
    { reason: 'missing_message_authenticator', client: 'strict', packet: () => buildRequest({ secret: SECRET, user: 'alice', password: 'x', messageAuthenticator: 'absent' }) },
    {
      reason: 'proxy_state_without_message_authenticator',
      client: 'legacy',
      packet: () => buildRequest({ secret: SECRET, user: 'alice', password: 'x', messageAuthenticator: 'absent', proxyStates: [Buffer.from('p1')] }),
    },
    {
      reason: 'eap_without_message_authenticator',
      client: 'legacy',
      packet: () => buildRequest({ secret: SECRET, user: 'alice', messageAuthenticator: 'absent', extra: [[Attr.EapMessage, Buffer.from([2, 1, 0, 10, 1, 0x61, 0x6c, 0x69, 0x63, 0x65])]] }),
    },
    // 17 octets: not a multiple of 16 (RFC 2865 §5.2).
    { reason: 'bad_password', client: 'strict', packet: () => withRawPassword(() => randomBytes(17)) },
    // Decrypts, but not to UTF-8: a shared secret mismatch.
    {
      reason: 'bad_password',
      client: 'strict',
      packet: () => withRawPassword((authenticator) => hidePassword(Buffer.from([0xff, 0xfe, 0xfd]), Buffer.from(SECRET), authenticator)),
    },
    { reason: 'unknown_client', client: 'stranger', packet: () => buildRequest({ secret: SECRET, user: 'alice', password: 'x' }) },
  ];

  it('drops each malformed kind unanswered, counts it by reason, logs a debug line and a warning that names the reason', async () => {
    const expected = new Map<string, number>();
    for (const { reason, client, packet } of malformed) {
      const label = client === 'stranger' ? '(unknown)' : client;
      const before = await counter(daemon.metricsUrl!, 'sms_otp_radius_drops_total', { client: label, reason });
      const reply = await clients[client]!.request(packet(), daemon.port, 400);
      expect(reply, `${reason}: no answer`).toBeUndefined();
      expect(await counter(daemon.metricsUrl!, 'sms_otp_radius_drops_total', { client: label, reason }), reason).toBe(before + 1);
      expected.set(`${label}|${reason}`, (expected.get(`${label}|${reason}`) ?? 0) + 1);
    }
    const lines = daemon.logs().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const key of expected.keys()) {
      const [client, reason] = key.split('|');
      const debug = lines.filter((l) => l.level === 20 && l.msg === 'packet dropped' && l.client === client && l.reason === reason);
      expect(debug.length, `debug lines for ${key}`).toBe(expected.get(key));
      expect(typeof debug[0]!.address).toBe('string');
      const warnings = lines.filter((l) => l.level === 40 && l.client === client && l.reason === reason);
      expect(warnings.length, `warning for ${key}`).toBe(1);
    }
    // The requests outcome counts them too.
    expect(await counter(daemon.metricsUrl!, 'sms_otp_radius_requests_total', { client: 'strict', outcome: 'dropped' })).toBe(
      [...expected].filter(([k]) => k.startsWith('strict|')).reduce((sum, [, n]) => sum + n, 0),
    );
    // Never a password in a log line.
    expect(daemon.logs()).not.toContain('pin1234');
  });

  it('warns once per client and reason while it floods, and says how many more there were', async () => {
    const before = daemon.logs().split('\n').filter((l) => l.includes('"reason":"bad_length"') && l.includes('"level":40')).length;
    for (let i = 0; i < 20; i++) clients.legacy!.send(header(Code.AccessRequest, 60, 40), daemon.port);
    await sleep(300);
    const warnings = daemon.logs().split('\n').filter((l) => l.includes('"reason":"bad_length"') && l.includes('"level":40') && l.includes('"client":"legacy"'));
    expect(warnings.length).toBe(1);
    expect(before).toBe(1); // the strict client's, from the test above: per client
    expect(await counter(daemon.metricsUrl!, 'sms_otp_radius_drops_total', { client: 'legacy', reason: 'bad_length' })).toBe(20);
  });

  it('a zero-length User-Password with a State is the empty answer; without a State an Access-Reject', async () => {
    const first = buildRequest({ secret: SECRET, user: 'alice', password: 'pin1234' });
    const challenge = (await clients.strict!.request(first, daemon.port))!;
    expect(challenge[0]).toBe(Code.AccessChallenge);
    const firstOtp = (await gw.next()).query.get('text')!;
    const state = attrs(challenge, Attr.State)[0]!;
    // resend_interval 0: the empty answer sends a new SMS and answers a fresh challenge.
    const empty = withRawPassword(() => Buffer.alloc(0), state);
    expect(parsePacket(empty).attributes.find((a) => a.type === Attr.UserPassword)!.value.length).toBe(0);
    const again = (await clients.strict!.request(empty, daemon.port))!;
    expect(again, 'answered').toBeDefined();
    expect(again[0]).toBe(Code.AccessChallenge);
    const secondOtp = (await gw.next()).query.get('text')!;
    expect(secondOtp).not.toBe(firstOtp);
    const answer = buildRequest({ secret: SECRET, user: 'alice', password: secondOtp, state: attrs(again, Attr.State)[0]! });
    expect((await clients.strict!.request(answer, daemon.port))![0]).toBe(Code.AccessAccept);

    const noState = withRawPassword(() => Buffer.alloc(0));
    const reject = (await clients.strict!.request(noState, daemon.port))!;
    expect(reject[0]).toBe(Code.AccessReject);
    expect(text(reject, Attr.ReplyMessage)).toEqual(['The password is empty']);
    expect(await counter(daemon.metricsUrl!, 'sms_otp_radius_refused_total', { client: 'strict', reason: 'empty_password' })).toBe(1);
  });

  it('Access-Challenge carries Prompt = No-Echo; Echo for a client with challenge_echo: yes', async () => {
    const noEcho = buildRequest({ secret: SECRET, user: 'alice', password: 'pin1234' });
    const challenge = (await clients.strict!.request(noEcho, daemon.port))!;
    expect(challenge[0]).toBe(Code.AccessChallenge);
    expect(attrs(challenge, Attr.Prompt)).toEqual([Buffer.from([0, 0, 0, 0])]);
    await gw.next();
    const echo = buildRequest({ secret: SECRET, user: 'alice', password: 'pin1234' });
    const echoed = (await clients.echo!.request(echo, daemon.port))!;
    expect(echoed[0]).toBe(Code.AccessChallenge);
    expect(attrs(echoed, Attr.Prompt)).toEqual([Buffer.from([0, 0, 0, 1])]);
    await gw.next();
    // radclient decodes it by its dictionary name and value.
    const reply = await radclient({ host: '127.0.0.1', port: daemon.port, secret: SECRET }, { 'User-Name': '"alice"', 'User-Password': '"pin1234"' });
    expect(reply.code).toBe('Access-Challenge');
    expect(reply.attributes.Prompt).toEqual(['No-Echo']);
    await gw.next();
  });

  it('at shutdown, drops what arrives while it finishes the work in flight, and says how many warnings the throttle held back', async () => {
    // A login in flight (the gateway takes 2 s) keeps the daemon finishing while datagrams arrive.
    gw.respond(200, 'OK', 2000);
    const inFlight = clients.strict!.request(buildRequest({ secret: SECRET, user: 'alice', password: 'pin1234' }), daemon.port, 6000);
    await sleep(300);
    const stopped = daemon.stop();
    await sleep(300);
    const late = await clients.strict!.request(buildRequest({ secret: SECRET, code: Code.StatusServer }), daemon.port, 500);
    expect(late, 'nothing answered while stopping').toBeUndefined();
    expect((await inFlight)?.[0], 'the login in flight is answered').toBe(Code.AccessChallenge);
    await stopped;
    const counters = JSON.parse(daemon.logs().split('\n').find((l) => l.includes('"counters"'))!).counters as Record<string, { dropped: Record<string, number> }>;
    expect(counters.strict!.dropped.stopping).toBe(1);
    expect(daemon.logs()).toMatch(/"level":40,.*"client":"strict".*"reason":"stopping","msg":"RADIUS datagram dropped: the daemon is shutting down/);
    expect(daemon.logs()).toMatch(/"client":"legacy".*"reason":"bad_length".*"suppressed":19.*"msg":"19 more like this in the last \d+ s: malformed RADIUS datagram dropped/);
  });
});
