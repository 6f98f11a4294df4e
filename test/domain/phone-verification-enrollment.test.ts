// The number of a new token proved like a phone change (self-service enrollment): the owner
// must have no token, the code goes to the typed number through the default gateway, and the
// confirm changes no token (the caller enrolls one with the number it returns).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PhoneVerifications } from '../../src/app/phone-verification.js';
import { TokenAdmin } from '../../src/app/token-admin.js';
import { RefusedError } from '../../src/core/errors.js';
import { GatewayRegistry } from '../../src/gateways/registry.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';
import { openTestStore, type TestStore } from '../helpers/store.js';

/** The HMAC key of the stored codes (the composition root derives it from the key file). */
const KEY = Buffer.alloc(32, 7);

const gina = { username: 'gina', realm: 'corp' };
const enrolling = { operator: 'web:gina@corp', enrollment: true };

describe('phone verification of a new token (self-service enrollment)', () => {
  let t: TestStore;
  let gw: SmsGateway;
  let registry: GatewayRegistry;
  let admin: TokenAdmin;
  let verifications: PhoneVerifications;

  beforeEach(async () => {
    t = await openTestStore('sqlite');
    gw = await startSmsGateway();
    await t.store.settings.setMany([['pin.kdf_cost', '10']]);
    await t.store.gateways.set({ identifier: 'gw1', description: '', module: 'http', options: { URL: gw.url, to: '{phone}', text: '{otp}' }, headers: {} });
    await t.store.settings.setMany([['sms.identifier', 'gw1']]);
    registry = new GatewayRegistry((id) => t.store.gateways.get(id), { scriptDirectory: '/nonexistent', smtpServers: t.store.smtpServers });
    admin = new TokenAdmin(t.store, t.pins);
    verifications = new PhoneVerifications(t.store, admin, registry, KEY, () => t.clock.now);
  });
  afterEach(async () => {
    await registry.close();
    await gw.close();
    await t.close();
  });

  it('sends the code to the number of an owner without a token, and returns the number without changing any token', async () => {
    const { verificationId } = await verifications.start(gina, '+4917077777', enrolling);
    const sms = await gw.next();
    expect(sms.query.get('to')).toBe('+4917077777');
    const code = (sms.query.get('text') ?? '').slice(-6);
    expect(await verifications.confirm(gina, verificationId, code, enrolling)).toBe('+4917077777');
    expect(await admin.list({ username: 'gina' })).toEqual([]);
  });

  it('refuses an owner who has a token already (a phone change is the way), before any SMS', async () => {
    await admin.enroll({ username: 'gina', realm: 'corp', phone: '+4917011111', pin: '1234' });
    await expect(verifications.start(gina, '+4917077777', enrolling)).rejects.toBeInstanceOf(RefusedError);
    expect(gw.received).toEqual([]);
  });
});
