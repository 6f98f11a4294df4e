// Issue 25: a State we never issued, or one past its expiry, is refused by arithmetic on
// SQLite and PostgreSQL alike: no store read, no directory question, no audit row, an event
// that the log and the metrics count. A State we issued still works, and the refusals leave it usable.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuthRequest, AuthResult } from '../../src/core/login/request.js';
import { Messages } from '../../src/core/messages.js';
import type { AuthEvent } from '../../src/core/ports.js';
import { TokenAdmin } from '../../src/app/token-admin.js';
import { RFC4226_HOTP, RFC4226_KEY } from '../helpers/fs.js';
import { openLoginEngine, RecordingSms, type LoginEngine } from '../helpers/login-engine.js';
import { RealmNameDirectory } from '../../src/directory/realm-names.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/store.js';

const client = { name: 'vpn', address: '192.0.2.1' };

describe.each(STORE_KINDS)('States refused without the store on %s', (kind) => {
  let t: TestStore;
  let sms: RecordingSms;
  let auth: LoginEngine;
  const events: AuthEvent[] = [];

  const login = (password: string, transactionId?: string): Promise<AuthResult> =>
    auth.authenticate({ username: 'alice', password, client, ...(transactionId === undefined ? {} : { transactionId }) } as AuthRequest);
  const auditRows = () => t.store.audit.count({});

  /** The questions the login asks the directory (a user store may be a slow LDAP server). */
  let asked = 0;
  class CountingDirectory extends RealmNameDirectory {
    override candidates(loginName: string) {
      asked++;
      return super.candidates(loginName);
    }
  }

  beforeEach(async () => {
    asked = 0;
    t = await openTestStore(kind);
    await t.store.settings.setMany([['pin.kdf_cost', '10']]);
    await t.store.gateways.set({ identifier: 'gw1', description: '', module: 'http', options: { URL: 'http://127.0.0.1:9/' }, headers: {} });
    await t.store.settings.setMany([['sms.identifier', 'gw1']]);
    sms = new RecordingSms();
    events.length = 0;
    auth = await openLoginEngine(t, sms, new CountingDirectory(), { emit: (e) => events.push(e) });
    await new TokenAdmin(t.store, t.pins).enroll({ username: 'alice', phone: '+49 171 2345678', pin: '1234', otpKeyHex: RFC4226_KEY });
  });
  afterEach(async () => {
    await auth.close();
    await t.close();
  });

  const refused = (why: string) => events.filter((e) => e.type === 'state_refused' && e.why === why).length;

  it('refuses random and altered States without an audit row, then accepts the State it issued', async () => {
    const challenge = await login('1234');
    expect(challenge.outcome).toBe('challenge');
    const state = (challenge as { transactionId: string }).transactionId;
    expect(state).toMatch(/^\d{40}$/);
    const rows = await auditRows();
    const askedBefore = asked;
    const sprayed = ['1'.repeat(40), '0123456789'.repeat(4), state.slice(0, 39) + String((Number(state[39]) + 1) % 10), 'not-a-state'];
    for (const forged of sprayed) {
      expect(await login(RFC4226_HOTP[1]!, forged)).toEqual({ outcome: 'reject', message: Messages.invalidTransaction });
    }
    expect(refused('forged')).toBe(sprayed.length);
    expect(asked).toBe(askedBefore); // refused before the directory was asked
    expect(await auditRows()).toBe(rows);
    // The challenge's counter is 1 (the PIN login sent HOTP(1)); it was not touched.
    expect((await login(sms.last().message.match(/\d{6}/)![0], state)).outcome).toBe('accept');
    expect(await auditRows()).toBe(rows + 1);
  });

  it('refuses an issued State once it has expired, by its own expiry, without the store', async () => {
    const challenge = await login('1234');
    const state = (challenge as { transactionId: string }).transactionId;
    const rows = await auditRows();
    t.clock.advance(301_000); // sms.providerTimeout is 300 s
    expect(await login(sms.last().message.match(/\d{6}/)![0], state)).toEqual({ outcome: 'reject', message: Messages.invalidTransaction });
    expect(refused('expired')).toBe(1);
    expect(await auditRows()).toBe(rows);
  });
});
