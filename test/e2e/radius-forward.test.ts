// passthru=radius:NAME end to end: radclient (the NAS) → sms-otp-radiusd → FreeRADIUS (the old
// OTP server). A user without a token is forwarded and the old server's answer relayed (its
// Class, Filter-Id and vendor attributes on the Accept; its challenge under our own State);
// a user with a token never is; an old server that is down fails closed within the NAS's time.
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Attr, Code, parsePacket } from '../../src/radius/packet.js';
import { createDaemon, freeTcpPort, freeUdpPort, type TestDaemon } from '../helpers/daemon.js';
import { pamModule } from '../helpers/http-clients.js';
import { startFreeRadiusUpstream, type FreeRadiusUpstream } from '../helpers/freeradius-upstream.js';
import { RFC4226_KEY } from '../helpers/fs.js';
import { buildRequest, RawClient } from '../helpers/raw-radius.js';
import { radclient } from '../helpers/radius-clients.js';

const NAS_SECRET = 'nas-secret-1234567890';
const UPSTREAM_SECRET = 'old-server-secret';

/** A State as radclient prints it (0x…) read as text. */
const stateText = (hex: string) => Buffer.from(hex.slice(2), 'hex').toString('latin1');

interface AuditRow {
  action: string;
  user: string;
  reason: string;
}

describe('forwarding to another RADIUS server (passthru=radius:NAME)', () => {
  let daemon: TestDaemon;
  let upstream: FreeRadiusUpstream;
  let http: string;

  beforeAll(async () => {
    upstream = await startFreeRadiusUpstream({ secret: UPSTREAM_SECRET });
    const httpPort = await freeTcpPort();
    http = `http://127.0.0.1:${httpPort}`;
    daemon = await createDaemon({
      secret: NAS_SECRET,
      clients: [{ name: 'vpn', address: '127.0.0.1/32', secret: NAS_SECRET, max_request_time: 4, sms_deadline: 2 }],
      radius: { reject_delay: '0' },
      http: { listen: `[ { host: "127.0.0.1", port: ${httpPort} } ]` },
    });
    await daemon.ok('token', 'enroll', '--user', 'alice', '--phone', '+1555', '--pin', 'pin1234', '--otpkey', RFC4226_KEY);
    const secretFile = path.join(daemon.dir, 'old.secret');
    writeFileSync(secretFile, `${UPSTREAM_SECRET}\n`, { mode: 0o600 });
    await daemon.ok('radius_server', 'set', 'old', '--address', `127.0.0.1:${upstream.port}`, '--secret-file', secretFile);
    await daemon.start();
    // Through the running daemon's reload: within a second, as every node.
    await daemon.configure('setting', 'set', 'passthru', 'radius:old');
  });
  afterAll(async () => {
    await daemon?.stop();
    await upstream?.stop();
  });

  const nas = () => ({ host: '127.0.0.1', port: daemon.port, secret: NAS_SECRET });
  const audit = async (): Promise<AuditRow[]> => JSON.parse(await daemon.ok('audit', 'list', '--json')) as AuditRow[];

  it('forwards a user without a token and relays the Accept with its Class, Filter-Id, vendor attribute and Reply-Message', async () => {
    const r = await radclient(nas(), { 'User-Name': '"carol"', 'User-Password': '"carolpass"', 'NAS-Identifier': '"vpn-1"', 'NAS-IPv6-Address': '2001:db8::7', 'Calling-Station-Id': '"192.0.2.7"' });
    expect(r.code, upstream.output().slice(-3000)).toBe('Access-Accept');
    expect(r.attributes.Class).toEqual(['0x6f6c642d76706e']); // "old-vpn"
    expect(r.attributes['Filter-Id']).toEqual(['staff']);
    expect(r.attributes['Cisco-AVPair']).toEqual(['shell:priv-lvl=15']);
    expect(r.attributes['Reply-Message']).toEqual(['Welcome from the old server']);
    // What the NAS said of itself reached the old server.
    expect(upstream.output()).toMatch(/NAS-Identifier = "vpn-1"/);
    expect(upstream.output()).toMatch(/Calling-Station-Id = "192.0.2.7"/);
    expect(upstream.output()).toMatch(/NAS-IPv6-Address = 2001:db8::7/);
    const row = (await audit()).find((a) => a.user === 'carol' && a.action === 'accept');
    expect(row?.reason).toBe('forwarded to radius:old: accept');
  });

  it("relays the old server's reject of a wrong password", async () => {
    const r = await radclient(nas(), { 'User-Name': '"carol"', 'User-Password': '"wrong"' });
    expect(r.code).toBe('Access-Reject');
    expect(r.attributes['Reply-Message']).toEqual(['old server says no']);
    expect((await audit()).some((a) => a.user === 'carol' && a.action === 'reject' && a.reason === 'forwarded to radius:old: reject')).toBe(true);
  });

  it("relays the old server's challenge under our own State, and forwards the answer with the old server's State", async () => {
    const first = await radclient(nas(), { 'User-Name': '"dave"', 'User-Password': '"davepin"' });
    expect(first.code, upstream.output().slice(-3000)).toBe('Access-Challenge');
    expect(first.attributes['Reply-Message']).toEqual(['Old OTP:']);
    const ours = first.attributes.State![0]!;
    // Not the old server's State: ours, which any node of the site maps back.
    expect(stateText(ours)).toMatch(/^fwd:/);
    expect(ours).not.toBe('0x6f6c642d6f74702d7374617465');
    const second = await radclient(nas(), { 'User-Name': '"dave"', 'User-Password': '"654321"', State: ours });
    expect(second.code, upstream.output().slice(-3000)).toBe('Access-Accept');
    expect(second.attributes.Class).toEqual(['0x6f74702d6f6b']); // "otp-ok"
    // Our State works for dave only: with another name it is refused, and nobody is asked.
    const before = upstream.requests();
    const stolen = await radclient(nas(), { 'User-Name': '"carol"', 'User-Password': '"carolpass"', State: ours });
    expect(stolen.code).toBe('Access-Reject');
    expect(upstream.requests()).toBe(before);
  });

  it('forwards over HTTP too (/validate/check): the challenge with our State as transaction_id, answered, accepted', async () => {
    const first = await pamModule(`${http}/validate/check`, { user: 'dave', pass: 'davepin' });
    expect(first.json?.result).toEqual({ status: true, value: false, authentication: 'CHALLENGE' });
    const tid = first.json?.detail?.transaction_id ?? '';
    expect(tid).toMatch(/^fwd:/);
    expect(first.json?.detail?.message).toBe('Old OTP:');
    const second = await pamModule(`${http}/validate/check`, { user: 'dave', pass: '654321', transaction_id: tid });
    expect(second.json?.result).toEqual({ status: true, value: true, authentication: 'ACCEPT' });
  });

  it('refuses a forged State of the forwarded kind without asking the old server or the store', async () => {
    const before = upstream.requests();
    const forged = `0x${Buffer.from('fwd:v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'latin1').toString('hex')}`;
    const r = await radclient(nas(), { 'User-Name': '"dave"', 'User-Password': '"654321"', State: forged });
    expect(r.code).toBe('Access-Reject');
    expect(r.attributes['Reply-Message']).toEqual(['The challenge is unknown or has expired']);
    expect(upstream.requests()).toBe(before);
    expect((await audit()).some((a) => a.user === 'dave' && a.reason.startsWith('upstream State forged'))).toBe(true);
  });

  it('never forwards a user who has a token', async () => {
    const before = upstream.requests();
    const r = await radclient(nas(), { 'User-Name': '"alice"', 'User-Password': '"wrong"' });
    expect(r.code).toBe('Access-Reject');
    expect(r.attributes['Reply-Message']).toEqual(['wrong otp pin']);
    expect(upstream.requests()).toBe(before);
  });

  it('makes one upstream login of a request the NAS sends twice', async () => {
    const client = await RawClient.open();
    try {
      const before = upstream.requests();
      const packet = buildRequest({ secret: NAS_SECRET, user: 'carol', password: 'carolpass' });
      client.send(packet, daemon.port);
      const reply = await client.request(packet, daemon.port, 3000);
      expect(reply?.[0]).toBe(Code.AccessAccept);
      expect(upstream.requests()).toBe(before + 1);
    } finally {
      client.close();
    }
  });

  it('fails closed within the NAS time when the old server does not answer', async () => {
    const nobody = await freeUdpPort();
    const secretFile = path.join(daemon.dir, 'old.secret');
    await daemon.configure('radius_server', 'set', 'gone', '--address', `127.0.0.1:${nobody}`, '--secret-file', secretFile, '--timeout', '1');
    await daemon.configure('setting', 'set', 'passthru', 'radius:gone');
    try {
      const client = await RawClient.open();
      const started = Date.now();
      const reply = await client.request(buildRequest({ secret: NAS_SECRET, user: 'carol', password: 'carolpass' }), daemon.port, 6000);
      const took = Date.now() - started;
      client.close();
      expect(reply?.[0]).toBe(Code.AccessReject);
      expect(parsePacket(reply!).attributes.find((a) => a.type === Attr.ReplyMessage)?.value.toString()).toBe('The authentication service is unavailable, try again later');
      // max_request_time 4 s: the answer comes before the NAS gives up, after the upstream had its tries.
      expect(took).toBeGreaterThan(3000);
      expect(took).toBeLessThan(4000);
      // The log line may follow the reply by a moment; how many tries fit depends on the load.
      const gone = /RADIUS server gone \(127\.0\.0\.1:\d+\): no answer to [2-9] tries/;
      for (let waited = 0; !gone.test(daemon.logs()) && waited < 2000; waited += 50) await new Promise((r) => setTimeout(r, 50));
      expect(daemon.logs()).toMatch(gone);
    } finally {
      await daemon.configure('setting', 'set', 'passthru', 'radius:old');
    }
  });

  it('refuses answers without a Message-Authenticator (BlastRADIUS) unless told the old server cannot sign', async () => {
    const unsigned = await startFreeRadiusUpstream({ secret: UPSTREAM_SECRET, messageAuthenticator: false });
    const secretFile = path.join(daemon.dir, 'old.secret');
    try {
      await daemon.configure('radius_server', 'set', 'unsigned', '--address', `127.0.0.1:${unsigned.port}`, '--secret-file', secretFile, '--timeout', '1');
      await daemon.configure('setting', 'set', 'passthru', 'radius:unsigned');
      const refused = await radclient(nas(), { 'User-Name': '"carol"', 'User-Password': '"carolpass"' }, { timeout: 6 });
      expect(refused.code).toBe('Access-Reject');
      expect(refused.attributes['Reply-Message']).toEqual(['The authentication service is unavailable, try again later']);
      expect(daemon.logs()).toMatch(/RADIUS server unsigned \(127\.0\.0\.1:\d+\): \d answer\(s\) refused: no Message-Authenticator/);
      await daemon.configure('radius_server', 'set', 'unsigned', '--address', `127.0.0.1:${unsigned.port}`, '--require-message-authenticator', 'no');
      const accepted = await radclient(nas(), { 'User-Name': '"carol"', 'User-Password': '"carolpass"' });
      expect(accepted.code).toBe('Access-Accept');
    } finally {
      await daemon.configure('setting', 'set', 'passthru', 'radius:old');
      await unsigned.stop();
    }
  });

  it('check: probes each server with Status-Server, says so of one that answers none, and fails a passthru naming nobody', async () => {
    const results = async () => JSON.parse((await daemon.cli('check', '--json')).stdout) as Array<{ check: string; status: string; message: string }>;
    const servers = (await results()).filter((r) => r.check === 'radius server');
    expect(servers.find((r) => r.message.startsWith('old ')), JSON.stringify(servers)).toMatchObject({ status: 'ok', message: expect.stringMatching(/^old \(127\.0\.0\.1:\d+\): answers Status-Server/) });
    expect(servers.find((r) => r.message.startsWith('gone '))).toMatchObject({ status: 'note', message: expect.stringMatching(/not probed: no answer to Status-Server within 2 s/) });
    // Not through the CLI, which refuses it: as a restored backup or a hand edit could leave it.
    const db = new Database(path.join(daemon.dir, 'store.sqlite'));
    try {
      db.prepare("UPDATE settings SET value = 'radius:nobody' WHERE key = 'passthru'").run();
      const dangling = (await results()).find((r) => r.check === 'radius server' && r.status === 'fail');
      expect(dangling?.message).toMatch(/^passthru forwards to radius:nobody, which is not defined: 'radius_server set nobody/);
    } finally {
      db.prepare("UPDATE settings SET value = 'radius:old' WHERE key = 'passthru'").run();
      db.close();
    }
  });

  it('refuses to delete a server the passthru setting or a policy forwards to, naming them', async () => {
    const bySetting = await daemon.cli('radius_server', 'delete', 'old');
    expect(bySetting.code).toBe(1);
    expect(bySetting.stderr).toContain("RADIUS server 'old' is in use: setting passthru forwards to it");
    await daemon.ok('policy', 'set', 'lab-forward', '--scope', 'authentication', '--realm', 'lab', '--action', 'passthru=radius:gone');
    const byPolicy = await daemon.cli('radius_server', 'delete', 'gone');
    expect(byPolicy.code).toBe(1);
    expect(byPolicy.stderr).toContain("RADIUS server 'gone' is the passthru of policy lab-forward; change or delete those policies first");
    expect(await daemon.ok('radius_server', 'list')).toContain('gone');
    await daemon.ok('policy', 'delete', 'lab-forward');
  });
});
