// The send path of a token with a dynamic phone, against a real store (SQLite and PostgreSQL):
// the number is the directory's at each send, and a directory that cannot be asked at that
// moment gives the reference failure message (an SMS that cannot be sent) with the reason in
// the audit trail. (End to end, against slapd: test/e2e/dynamic-phone.test.ts.)
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TokenAdmin } from '../../src/app/token-admin.js';
import { DirectoryUnavailable } from '../../src/core/errors.js';
import type { AuthRequest } from '../../src/core/login/request.js';
import { Messages } from '../../src/core/messages.js';
import type { DirectoryUser, SmsSender, UserDirectory } from '../../src/core/ports.js';
import { openLoginEngine, type LoginEngine } from '../helpers/login-engine.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/store.js';

/** A directory of one person whose mobile the test changes, and which can be made unreachable. */
class OnePersonDirectory implements UserDirectory {
  mobile: string | undefined = '0170 1234567';
  /** Lookups answered before the directory goes away (undefined: it stays up). */
  answersLeft: number | undefined;
  async candidates(loginName: string) {
    return [{ username: loginName, realm: '' }];
  }
  async lookup(username: string, realm: string): Promise<DirectoryUser | undefined> {
    if (this.answersLeft !== undefined && this.answersLeft-- <= 0) throw new DirectoryUnavailable('user store corp: no directory server answered: ldap://dc1: connection refused');
    return username === 'alice' ? { username, realm, ...(this.mobile === undefined ? {} : { mobile: this.mobile }) } : undefined;
  }
  async checkPassword() {
    return false;
  }
}

describe.each(STORE_KINDS)('dynamic phone on %s', (kind) => {
  let t: TestStore;
  let auth: LoginEngine;
  const sent: Array<{ phone: string }> = [];
  const directory = new OnePersonDirectory();
  const sms: SmsSender = { send: async (_gateway, phone) => void sent.push({ phone }) };
  const login = (password: string) => auth.authenticate({ username: 'alice', password, client: { name: 'vpn', address: '192.0.2.1' } } as AuthRequest);

  beforeEach(async () => {
    t = await openTestStore(kind);
    sent.length = 0;
    directory.answersLeft = undefined;
    directory.mobile = '0170 1234567';
    await t.store.gateways.set({ identifier: 'gw', description: '', module: 'http', options: { URL: 'http://127.0.0.1:9/' }, headers: {} });
    await t.store.settings.setMany([['sms.identifier', 'gw']]);
    await t.store.settings.setMany([['sms.default_country_code', '49']]);
    await new TokenAdmin(t.store, t.pins).enroll({ username: 'alice', dynamicPhone: true, pin: '1234' });
    auth = await openLoginEngine(t, sms, directory);
  });
  afterEach(async () => {
    await auth?.close();
    await t.close();
  });

  it('sends to the directory’s number of the moment, normalised, and audits it redacted', async () => {
    // Every request sends: a challenge still fresh (sms.resend_interval) is repeated to the same caller, as in the daemon.
    await t.store.settings.setMany([['sms.resend_interval', '0']]);
    expect((await login('1234')).outcome).toBe('challenge');
    directory.mobile = '+44 (0)7700 900123';
    expect((await login('1234')).outcome).toBe('challenge');
    expect(sent).toEqual([{ phone: '+491701234567' }, { phone: '+447700900123' }]);
    const [latest] = await t.store.audit.newest({}, 1);
    expect(latest?.phone).toBe('***********23');
  });

  it('a directory gone by the time of the send: the SMS-failed message, the reason audited, nothing sent', async () => {
    // The login's own lookup (names for the texts) is answered; the directory is gone by the send.
    directory.answersLeft = 1;
    const r = await login('1234');
    expect(r).toMatchObject({ outcome: 'reject', message: Messages.smsFailed });
    expect(sent).toEqual([]);
    const [latest] = await t.store.audit.newest({}, 1);
    expect(latest?.reason).toBe(
      'no SMS could be sent: dynamic phone: the user store cannot be asked for the mobile number of alice: user store corp: no directory server answered: ldap://dc1: connection refused',
    );
  });

  it('no mobile: rejected, nothing sent', async () => {
    directory.mobile = undefined;
    expect(await login('1234')).toMatchObject({ outcome: 'reject', message: Messages.smsFailed });
    expect(sent).toEqual([]);
    expect((await t.store.audit.newest({}, 1))[0]?.reason).toContain('the user store has no mobile number for alice');
  });
});
