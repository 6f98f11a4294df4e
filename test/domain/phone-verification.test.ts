// A phone change proved by a code sent to the new number, through a real HTTP SMS gateway, on
// SQLite and PostgreSQL: the code saves the number, a wrong one is counted, codes expire, one
// SMS per 30 seconds, realms the helpdesk may not see refused, every step audited without the code.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PhoneVerificationError, PhoneVerifications, TooSoonError } from '../../src/app/phone-verification.js';
import { ForbiddenRealmError } from '../../src/app/realm-guard.js';
import { TokenAdmin, TokenAdminError } from '../../src/app/token-admin.js';
import { GatewayRegistry } from '../../src/gateways/registry.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/store.js';

const alice = { username: 'alice', realm: 'corp' };
/** The HMAC key of the stored codes (the composition root derives it from the key file). */
const KEY = Buffer.alloc(32, 7);
const self = { operator: 'web:alice@corp' };

describe.each(STORE_KINDS)('phone verification on %s', (kind) => {
  let t: TestStore;
  let gw: SmsGateway;
  let registry: GatewayRegistry;
  let admin: TokenAdmin;
  let verifications: PhoneVerifications;
  let serial: string;

  beforeEach(async () => {
    t = await openTestStore(kind);
    gw = await startSmsGateway();
    await t.store.settings.setMany([['pin.kdf_cost', '10'], ['sms.default_country_code', '49']]);
    await t.store.gateways.set({ identifier: 'gw1', description: '', module: 'http', options: { URL: gw.url, to: '{phone}', text: '{otp}' }, headers: {} });
    await t.store.settings.setMany([['sms.identifier', 'gw1']]);
    registry = new GatewayRegistry((id) => t.store.gateways.get(id), { scriptDirectory: '/nonexistent', smtpServers: t.store.smtpServers });
    admin = new TokenAdmin(t.store, t.pins);
    verifications = new PhoneVerifications(t.store, admin, registry, KEY, () => t.clock.now);
    serial = (await admin.enroll({ username: 'alice', realm: 'corp', phone: '+49 170 1111111', pin: '1234' })).serial;
  });
  afterEach(async () => {
    await registry.close();
    await gw.close();
    await t.close();
  });

  const codeSent = async () => {
    const sms = await gw.next();
    const text = sms.query.get('text') ?? '';
    expect(text).toMatch(/^Your verification code is \d{6}$/);
    return { to: sms.query.get('to'), code: text.slice(-6) };
  };
  const adminRows = async () => (await t.store.audit.newest({ action: 'admin' }, 20)).reverse();

  it('sends a code to the new number and saves the number when the code comes back, audited without the code', async () => {
    const { verificationId, expiresAt } = await verifications.start(alice, '0171 2222222', self);
    expect(expiresAt).toBe(t.clock.now + 10 * 60_000);
    const { to, code } = await codeSent();
    // National with sms.default_country_code 49: made international, as the HTTP API's enroll does.
    expect(to).toBe('+491712222222');
    expect((await admin.get(serial)).phone).toBe('+49 170 1111111');
    expect(await verifications.confirm(alice, verificationId, code, self)).toBe('+491712222222');
    expect((await admin.get(serial)).phone).toBe('+491712222222');
    const rows = await adminRows();
    expect(rows.map((r) => [r.username, r.realm, r.client, r.gateway, r.phone, r.serials, r.reason])).toEqual([
      ['alice', 'corp', 'webui', 'gw1', '***********22', [], 'phone verification sent to ***********22 (by web:alice@corp)'],
      ['alice', 'corp', 'webui', '', '***********22', [serial], `phone changed to ***********22 for token ${serial} (verified by a code sent to it) (by web:alice@corp)`],
    ]);
    expect(JSON.stringify(rows)).not.toContain(code);
    // Used: the same code does not work twice.
    await expect(verifications.confirm(alice, verificationId, code, self)).rejects.toThrow(PhoneVerificationError);
  });

  it("sends through the token's own gateway when it names one", async () => {
    const other = await startSmsGateway();
    try {
      await t.store.gateways.set({ identifier: 'gw2', description: '', module: 'http', options: { URL: other.url, to: '{phone}', text: '{otp}' }, headers: {} });
      await admin.set(serial, { gateway: 'gw2' });
      await verifications.start(alice, '+44 7700 900123', self);
      expect((await other.next()).query.get('to')).toBe('+44 7700 900123');
      expect(gw.received).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('refuses a number without its country where no default country code is set, and what is no number', async () => {
    await t.store.settings.setMany([['sms.default_country_code', '']]);
    await expect(verifications.start(alice, '0171 2222222', self)).rejects.toThrow(TokenAdminError);
    await expect(verifications.start(alice, '+49 171 CALLME', self)).rejects.toThrow(TokenAdminError);
    expect(gw.received).toEqual([]);
  });

  it('voids a code after three wrong answers', async () => {
    const { verificationId } = await verifications.start(alice, '+49 171 2222222', self);
    const { code } = await codeSent();
    const wrong = code === '000000' ? '111111' : '000000';
    await expect(verifications.confirm(alice, verificationId, wrong, self)).rejects.toThrow('wrong verification code (2 tries left)');
    await expect(verifications.confirm(alice, verificationId, 'abc', self)).rejects.toThrow('wrong verification code (1 try left)');
    await expect(verifications.confirm(alice, verificationId, wrong, self)).rejects.toThrow('wrong verification code 3 times: ask for a new one');
    await expect(verifications.confirm(alice, verificationId, code, self)).rejects.toThrow('unknown or has expired');
    expect((await admin.get(serial)).phone).toBe('+49 170 1111111');
  });

  it('lets a code expire after 10 minutes, and only its owner answer it', async () => {
    const { verificationId } = await verifications.start(alice, '+49 171 2222222', self);
    const { code } = await codeSent();
    await expect(verifications.confirm({ username: 'mallory', realm: 'corp' }, verificationId, code, self)).rejects.toThrow(PhoneVerificationError);
    t.clock.advance(10 * 60_000);
    await expect(verifications.confirm(alice, verificationId, code, self)).rejects.toThrow('unknown or has expired');
  });

  it('sends one code per 30 seconds and keeps at most 5 pending per owner', async () => {
    await verifications.start(alice, '+49 171 2222222', self);
    t.clock.advance(12_000);
    const soon = await verifications.start(alice, '+49 171 2222222', self).catch((e: unknown) => e);
    expect(soon).toBeInstanceOf(TooSoonError);
    expect(soon).toMatchObject({ retryAfterSeconds: 18, code: 'ERR_TOO_SOON', message: expect.stringContaining('18 seconds') });
    for (let i = 0; i < 4; i++) {
      t.clock.advance(30_000);
      await verifications.start(alice, '+49 171 2222222', self);
    }
    t.clock.advance(30_000);
    await expect(verifications.start(alice, '+49 171 2222222', self)).rejects.toThrow('too many verification codes are pending');
    expect(gw.received).toHaveLength(5);
    // Another owner is not held back by alice's codes.
    await admin.enroll({ username: 'bob', realm: 'corp', phone: '+49 170 3333333', pin: '1234' });
    await verifications.start({ username: 'bob', realm: 'corp' }, '+49 171 4444444', { operator: 'web:bob@corp' });
  });

  it('refuses a user of a realm the helpdesk may not see, and an unknown user, with the same error', async () => {
    const helpdesk = { operator: 'web:hd@lab', allowedRealms: ['lab'] };
    const forbidden = await verifications.start(alice, '+49 171 2222222', helpdesk).catch((e: unknown) => e);
    const unknown = await verifications.start({ username: 'nobody', realm: 'lab' }, '+49 171 2222222', helpdesk).catch((e: unknown) => e);
    expect(forbidden).toBeInstanceOf(ForbiddenRealmError);
    expect(unknown).toBeInstanceOf(ForbiddenRealmError);
    expect((forbidden as Error).message.replace('alice', 'X')).toBe((unknown as Error).message.replace('nobody', 'X'));
    expect(gw.received).toEqual([]);
    // The helpdesk of corp may.
    const { verificationId } = await verifications.start(alice, '+49 171 2222222', { operator: 'web:hd@corp', allowedRealms: ['CORP'] });
    expect(await verifications.confirm(alice, verificationId, (await codeSent()).code, { operator: 'web:hd@corp', allowedRealms: ['corp'] })).toBe('+49 171 2222222');
  });

  it('is one site: a code sent by one node is taken at another (the same store and key), once; the 30 seconds hold on both', async () => {
    const otherNode = new PhoneVerifications(t.store, admin, registry, Buffer.from(KEY), () => t.clock.now);
    const { verificationId } = await verifications.start(alice, '+49 171 2222222', self);
    const { code } = await codeSent();
    await expect(otherNode.start(alice, '+49 171 5555555', self)).rejects.toBeInstanceOf(TooSoonError);
    const wrong = code === '000000' ? '111111' : '000000';
    await expect(otherNode.confirm(alice, verificationId, wrong, self)).rejects.toThrow('wrong verification code (2 tries left)');
    await expect(verifications.confirm(alice, verificationId, wrong, self)).rejects.toThrow('wrong verification code (1 try left)');
    expect(await otherNode.confirm(alice, verificationId, code, self)).toBe('+49 171 2222222');
    await expect(verifications.confirm(alice, verificationId, code, self)).rejects.toThrow('unknown or has expired');
    // A node with another key file (another site) knows no code of this one.
    t.clock.advance(30_000);
    const { verificationId: second } = await verifications.start(alice, '+49 171 6666666', self);
    const strangerNode = new PhoneVerifications(t.store, admin, registry, Buffer.alloc(32, 9), () => t.clock.now);
    await expect(strangerNode.confirm(alice, second, (await codeSent()).code, self)).rejects.toThrow('wrong verification code');
  });

  it('says why when the gateway refuses, audits it, and leaves nothing pending', async () => {
    gw.respond(500, 'down');
    await expect(verifications.start(alice, '+49 171 2222222', self)).rejects.toMatchObject({ code: 'ERR_GATEWAY_FAILED' });
    const [row] = await adminRows();
    expect(row!.reason).toMatch(/^phone verification to \*+22 not sent: .+ \(by web:alice@corp\)$/);
  });
});
