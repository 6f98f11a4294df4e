// Policies in the login core and the store, on SQLite and PostgreSQL: saved and read back,
// conflicts refused inside the store's transaction, and logins of users with directory groups
// (group conditions, {group}, deny after the OTP, the audit reason naming the policies).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuthRequest, AuthResult } from '../../src/core/login/request.js';
import type { DirectoryUser, UserDirectory, UserRef } from '../../src/core/ports.js';
import { validatePolicy, type PolicyInput } from '../../src/core/policies/policy.js';
import { TokenAdmin } from '../../src/app/token-admin.js';
import { openLoginEngine, RecordingSms, type LoginEngine } from '../helpers/login-engine.js';
import { RFC4226_HOTP, RFC4226_KEY } from '../helpers/fs.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/store.js';

/** A directory of two people with groups, as a user store that reads groups would answer. */
class GroupDirectory implements UserDirectory {
  readonly groups: Record<string, string[]> = { alice: ['staff', 'vpn-admins'], bob: ['staff'] };
  async candidates(loginName: string): Promise<UserRef[]> {
    return [{ username: loginName, realm: '' }];
  }
  async lookup(username: string, realm: string): Promise<DirectoryUser | undefined> {
    const groups = this.groups[username];
    return groups ? { username, realm, groups } : undefined;
  }
  async checkPassword(): Promise<boolean> {
    return false;
  }
}

const client = { name: 'asa', address: '10.0.0.1' };

describe.each(STORE_KINDS)('policies on %s', (kind) => {
  let t: TestStore;
  let sms: RecordingSms;
  let auth: LoginEngine;

  const set = (input: PolicyInput) => t.store.policies.set(validatePolicy(input));
  const login = (username: string, password: string, transactionId?: string): Promise<AuthResult> =>
    auth.authenticate({ username, password, client, ...(transactionId === undefined ? {} : { transactionId }) } as AuthRequest);

  beforeEach(async () => {
    t = await openTestStore(kind);
    await t.store.settings.setMany([['pin.kdf_cost', '10']]);
    await t.store.gateways.set({ identifier: 'gw1', description: '', module: 'http', options: { URL: 'http://127.0.0.1:9/' }, headers: {} });
    await t.store.settings.setMany([['sms.identifier', 'gw1']]);
    sms = new RecordingSms();
    auth = await openLoginEngine(t, sms, new GroupDirectory());
    const admin = new TokenAdmin(t.store, t.pins);
    await admin.enroll({ username: 'alice', phone: '+491711111111', pin: '1234', otpKeyHex: RFC4226_KEY });
    await admin.enroll({ username: 'bob', phone: '+491722222222', pin: '1234', otpKeyHex: RFC4226_KEY });
  });
  afterEach(async () => {
    await auth.close();
    await t.close();
  });

  it('stores a policy and reads it back; replacing says so; deleting twice says nothing is left', async () => {
    expect(await set({ name: 'p', scope: 'authorization', actions: [['reply_attribute', 'Class=a'], ['reply_attribute', 'Class=b']], conditions: { client: ['10.0.0.0/8'], group: ['g'] }, priority: 3, active: false })).toEqual({ created: true });
    expect(await t.store.policies.get('p')).toEqual({
      name: 'p',
      scope: 'authorization',
      actions: [{ key: 'reply_attribute', value: 'Class=a' }, { key: 'reply_attribute', value: 'Class=b' }],
      conditions: { client: ['10.0.0.0/8'], group: ['g'] },
      priority: 3,
      active: false,
    });
    expect(await set({ name: 'p', scope: 'authentication', actions: [['otppin', 'none']] })).toEqual({ created: false });
    expect((await t.store.policies.list()).map((p) => `${p.name} ${p.scope} ${p.active}`)).toEqual(['p authentication true']);
    expect(await t.store.policies.delete('p')).toBe(true);
    expect(await t.store.policies.delete('p')).toBe(false);
  });

  it('refuses a conflict and a gateway that does not exist, and stores nothing then', async () => {
    await set({ name: 'a', scope: 'authentication', actions: [['otppin', 'none']], conditions: { group: ['staff'] } });
    await expect(set({ name: 'b', scope: 'authentication', actions: [['otppin', 'userstore']], conditions: { group: ['other'] } })).rejects.toThrow(/policy b conflicts with policy a/);
    await expect(set({ name: 'c', scope: 'authentication', actions: [['smsgateway', 'nope']] })).rejects.toThrow(/no gateway 'nope'/);
    expect((await t.store.policies.list()).map((p) => p.name)).toEqual(['a']);
  });

  it('group conditions pick the SMS text, {group} fills it, and the reply attributes of the group come with the accept', async () => {
    await set({ name: 'admins-text', scope: 'authentication', actions: [['smstext', '{group}: {otp}']], conditions: { group: ['vpn-admins'] } });
    await set({ name: 'admins-class', scope: 'authorization', actions: [['reply_attribute', 'Class={group}'], ['reply_attribute', 'Filter-Id={user}@{client}']], conditions: { group: ['vpn-admins'] } });
    const alice = await login('alice', '1234');
    expect(alice.outcome).toBe('challenge');
    expect(sms.sent.at(-1)?.message).toBe(`vpn-admins: ${RFC4226_HOTP[1]}`);
    const accepted = await login('alice', RFC4226_HOTP[1]!, alice.outcome === 'challenge' ? alice.transactionId : '');
    expect(accepted).toMatchObject({ outcome: 'accept', replyAttributes: ['Class=vpn-admins', 'Filter-Id=alice@asa'] });
    const bob = await login('bob', '1234');
    expect(sms.sent.at(-1)?.message).toBe(RFC4226_HOTP[1]);
    const bobAccepted = await login('bob', RFC4226_HOTP[1]!, bob.outcome === 'challenge' ? bob.transactionId : '');
    expect(bobAccepted.outcome).toBe('accept');
    expect(bobAccepted).not.toHaveProperty('replyAttributes');
    const rows = await t.store.audit.newest({}, 100);
    expect(rows.filter((r) => r.username === 'alice').map((r) => r.reason)).toEqual(expect.arrayContaining([expect.stringMatching(/\[policies: admins-text, admins-class\]$/)]));
  });

  it('deny: a wrong OTP is a wrong OTP; the right one is used up and then rejected with the message', async () => {
    await set({ name: 'no-staff', scope: 'authorization', actions: [['deny', 'Staff may not use this VPN']], conditions: { group: ['staff'] } });
    await set({ name: 'admins-ok', scope: 'authorization', priority: 0, actions: [['reply_attribute', 'Class=admins']], conditions: { group: ['vpn-admins'] } });
    const bob = await login('bob', '1234');
    const tx = bob.outcome === 'challenge' ? bob.transactionId : '';
    expect(await login('bob', '000000', tx)).toMatchObject({ outcome: 'reject', message: expect.not.stringMatching(/Staff/) });
    expect(await login('bob', RFC4226_HOTP[1]!, tx)).toEqual({ outcome: 'reject', message: 'Staff may not use this VPN' });
    expect((await login('bob', RFC4226_HOTP[1]!, tx)).outcome).toBe('reject');
    const rows = await t.store.audit.newest({}, 100);
    expect(rows.some((r) => r.username === 'bob' && /then denied by policy no-staff \[policies: no-staff\]$/.test(r.reason))).toBe(true);
    // alice is staff too, but a better priority for her group does not lift the deny: deny is its own action.
    const alice = await login('alice', '1234');
    expect((await login('alice', RFC4226_HOTP[1]!, alice.outcome === 'challenge' ? alice.transactionId : '')).outcome).toBe('reject');
  });
});
