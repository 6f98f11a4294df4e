// The upstream RADIUS client's parts: the password hidden for the upstream's secret (read back
// by our own front's decryption), answers that must check out, and our State for an upstream
// challenge, which any node opens and nobody forges, stretches or moves to another name.
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { SecretBox } from '../../src/crypto/secretbox.js';
import { Attr, Code, decryptPassword, encodeResponse, parsePacket } from '../../src/radius/packet.js';
import { answerProblem, encodeRequest, exchange, hidePassword } from '../../src/radius-upstream/client.js';
import { stopAtFor } from '../../src/radius-upstream/forwarder.js';
import { parseAddress } from '../../src/radius-upstream/parameters.js';
import { UpstreamStateSeal } from '../../src/radius-upstream/state-seal.js';

const SECRET = Buffer.from('old-server-secret');

describe('upstream RADIUS client', () => {
  it('hides the password as RFC 2865 §5.2 says (the front reads it back), for 0 to 128 bytes', () => {
    for (const password of ['', 'x', 'exactly16bytes!!', 'ü'.repeat(40), 'p'.repeat(128)]) {
      const authenticator = randomBytes(16);
      const hidden = hidePassword(password, SECRET, authenticator);
      expect(hidden.length % 16).toBe(0);
      expect(decryptPassword(hidden, SECRET, authenticator).toString('utf8')).toBe(password);
    }
    expect(() => hidePassword('p'.repeat(129), SECRET, randomBytes(16))).toThrow(/longer than RADIUS carries/);
  });

  it('takes an answer signed with the secret, and says why it refuses one that is not', () => {
    const request = encodeRequest(Code.AccessRequest, 7, randomBytes(16), [{ type: Attr.UserName, value: Buffer.from('carol') }], SECRET);
    const asked = parsePacket(request);
    const good = parsePacket(encodeResponse(Code.AccessAccept, asked, [], SECRET));
    expect(answerProblem(good, request, SECRET, true)).toBeUndefined();
    const wrongSecret = parsePacket(encodeResponse(Code.AccessAccept, asked, [], Buffer.from('other')));
    expect(answerProblem(wrongSecret, request, SECRET, true)).toMatch(/Response Authenticator that does not match/);
    const other = parsePacket(encodeResponse(Code.AccessAccept, { ...asked, identifier: 8 }, [], SECRET));
    expect(answerProblem(other, request, SECRET, true)).toMatch(/another request/);
  });

  it('sends the very same datagram again (Identifier, authenticator) every timeout until the server answers, and stops at stopAt', async () => {
    const server = dgram.createSocket('udp4');
    const seen: Buffer[] = [];
    server.on('message', (datagram, peer) => {
      seen.push(datagram);
      // Silent to the first try, as a server that lost it.
      if (seen.length === 2) server.send(encodeResponse(Code.AccessReject, parsePacket(datagram), [], SECRET), peer.port, peer.address);
    });
    await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
    const target = { host: '127.0.0.1', port: server.address().port, secret: SECRET, timeoutMs: 200, requireMessageAuthenticator: true };
    try {
      const answered = await exchange(target, Code.AccessRequest, () => [{ type: Attr.UserName, value: Buffer.from('carol') }], Date.now() + 2000);
      expect(answered.kind).toBe('answer');
      expect(seen).toHaveLength(2);
      expect(seen[1]!.equals(seen[0]!)).toBe(true);
      seen.length = 10; // answer no more
      const started = Date.now();
      const silent = await exchange(target, Code.AccessRequest, () => [], started + 700);
      expect(silent).toMatchObject({ kind: 'silent', badAnswers: 0 });
      // At 0, 200, 400 and 600 ms (a late timer under load may cost one), never at or past stopAt.
      expect(silent.kind === 'silent' && silent.tries).toBeGreaterThanOrEqual(3);
      expect(silent.kind === 'silent' && silent.tries).toBeLessThanOrEqual(4);
      expect(Date.now() - started).toBeGreaterThanOrEqual(690);
      expect(Date.now() - started).toBeLessThan(1200);
      // A timer fires on the monotonic clock, and may be due a hair before Date.now() says so:
      // a clock 1 % slow gives that at every try. The last gap (~1 ms) gets no try of its own.
      const slowFrom = Date.now();
      const slowClock = () => slowFrom + (Date.now() - slowFrom) * 0.99;
      const skewed = await exchange(target, Code.AccessRequest, () => [], slowFrom + 700, slowClock);
      expect(skewed.kind === 'silent' && skewed.tries).toBeLessThanOrEqual(4);
    } finally {
      server.close();
    }
  });

  it('stops trying a little before the NAS stops waiting; three timeouts without a deadline', () => {
    expect(stopAtFor(10_000, 3000, 0)).toBe(9_500);
    expect(stopAtFor(1_000, 3000, 0)).toBe(900);
    expect(stopAtFor(undefined, 3000, 100)).toBe(9_100);
  });

  it('reads HOST:PORT, [v6]:PORT and a host alone', () => {
    expect(parseAddress('radius.example.com:1645')).toEqual({ host: 'radius.example.com', port: 1645 });
    expect(parseAddress('[2001:db8::1]:1812')).toEqual({ host: '2001:db8::1', port: 1812 });
    expect(parseAddress('10.0.0.1')).toEqual({ host: '10.0.0.1', port: 1812 });
    expect(parseAddress('10.0.0.1:0')).toBeUndefined();
    expect(parseAddress('a b:1')).toBeUndefined();
  });
});

describe('our State for an upstream challenge', () => {
  const key = randomBytes(32);
  const seal = new UpstreamStateSeal(new SecretBox(key));
  const upstreamState = Buffer.from('old-otp-state');

  it('opens on any node of the site (same key) to the server and its State, for the same login name, until it expires', () => {
    const state = seal.seal('old', upstreamState, 'dave', 60_000)!;
    expect(state.startsWith('fwd:')).toBe(true);
    const otherNode = new UpstreamStateSeal(new SecretBox(Buffer.from(key)));
    expect(otherNode.open(state, 'dave', 1_000)).toEqual({ server: 'old', state: upstreamState });
    expect(otherNode.open(state, 'carol', 1_000)).toBeUndefined();
    expect(otherNode.open(state, 'dave', 61_000)).toBeUndefined();
  });

  it('opens to nothing when forged, changed, or sealed with another key', () => {
    const state = seal.seal('old', upstreamState, 'dave', 60_000)!;
    // Every character of the sealed part, changed: nothing opens (one State, one spelling).
    for (let i = 'fwd:v1:'.length; i < state.length; i++) {
      const changed = `${state.slice(0, i)}${state[i] === 'A' ? 'B' : 'A'}${state.slice(i + 1)}`;
      expect(seal.open(changed, 'dave', 0)).toBeUndefined();
    }
    expect(seal.open('fwd:v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'dave', 0)).toBeUndefined();
    expect(seal.open('fwd:garbage', 'dave', 0)).toBeUndefined();
    expect(new UpstreamStateSeal(new SecretBox(randomBytes(32))).open(state, 'dave', 0)).toBeUndefined();
  });

  it('is refused when it would not fit in a State attribute (253 octets)', () => {
    expect(seal.seal('old', randomBytes(100), 'dave', 60_000)?.length).toBeLessThanOrEqual(253);
    expect(seal.seal('old', randomBytes(200), 'dave', 60_000)).toBeUndefined();
  });
});

describe('setting passthru', () => {
  it('keeps true/false/1/0 and takes radius:NAME, which names a RADIUS server', async () => {
    const { normaliseSetting, passthruOf, referencedName, resolveSettings } = await import('../../src/core/settings.js');
    expect(['1', 'true', 'on'].map((v) => normaliseSetting('passthru', v))).toEqual(['true', 'true', 'true']);
    expect(['0', 'false', 'off'].map((v) => normaliseSetting('passthru', v))).toEqual(['false', 'false', 'false']);
    expect(normaliseSetting('passthru', 'radius:old')).toBe('radius:old');
    expect(() => normaliseSetting('passthru', 'radius:')).toThrow(/true \(the directory password\), false, or radius:NAME/);
    expect(() => normaliseSetting('passthru', 'maybe')).toThrow(/setting 'passthru' takes/);
    expect(passthruOf(resolveSettings(new Map()).passthru)).toEqual({ kind: 'off' });
    expect(passthruOf('true')).toEqual({ kind: 'directory' });
    expect(passthruOf('radius:old')).toEqual({ kind: 'radius', server: 'old' });
    expect(referencedName('passthru', 'radius:old')).toEqual({ kind: 'radius_server', name: 'old' });
    expect(referencedName('passthru', 'true')).toBeUndefined();
    expect(referencedName('sms.identifier', 'gw')).toEqual({ kind: 'gateway', name: 'gw' });
  });
});
