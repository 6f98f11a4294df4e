// Changes of the web UI's admin pages (src/app/audited-changes.ts) on a real SQLite store: each
// one made through the application layer writes one `admin` audit row naming the change, the
// operator, the front and the address; a refused change (a bad value, a conflicting policy, a
// name not found) stores nothing and writes no row; an API key's row never holds the key.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiKeyAdmin } from '../../src/app/api-keys.js';
import { AuditedChanges } from '../../src/app/audited-changes.js';
import { PolicyAdmin } from '../../src/app/policy-admin.js';
import { SettingsAdmin } from '../../src/app/settings-admin.js';
import { checkReplyAttribute } from '../../src/radius/policy-attributes.js';
import { openTestStore, type TestStore } from '../helpers/store.js';

const carol = { operator: 'web:carol@corp', client: 'webui', address: '192.0.2.7' };

describe('changes made and audited with the operator', () => {
  let t: TestStore;
  let changes: AuditedChanges;
  let policies: PolicyAdmin;
  let apiKeys: ApiKeyAdmin;

  const rows = async () => (await t.store.audit.newest({ action: 'admin' }, 100)).reverse();

  beforeEach(async () => {
    t = await openTestStore('sqlite');
    policies = new PolicyAdmin(t.store, {
      checkReplyAttribute,
      clientNames: ['vpn'],
      openDirectory: () => Promise.reject(new Error('no directory in this test')),
    });
    apiKeys = new ApiKeyAdmin(t.store, Buffer.alloc(32, 7));
    changes = new AuditedChanges({ settings: new SettingsAdmin(t.store), policies, apiKeys, audit: t.store.audit, now: () => t.clock.now });
  });
  afterEach(async () => {
    await t.close();
  });

  it('a setting set and unset: one row each, with the values before and after', async () => {
    await changes.setSetting(carol, 'sms.limit.user', '7/1h');
    await changes.unsetSetting(carol, 'sms.limit.user');
    const written = await rows();
    expect(written.map((r) => r.reason)).toEqual([
      "setting sms.limit.user set to '7/1h' (was '10/1h') (by web:carol@corp)",
      "setting sms.limit.user back to its default '10/1h' (was '7/1h') (by web:carol@corp)",
    ]);
    expect(written[0]).toMatchObject({ action: 'admin', username: '', realm: '', client: 'webui', clientAddress: '192.0.2.7', at: t.clock.now });
  });

  it('a refused value stores nothing and writes no row', async () => {
    await expect(changes.setSetting(carol, 'sms.limit.user', 'lots')).rejects.toThrow(/sms.limit.user/);
    await expect(changes.unsetSetting(carol, 'no.such.setting')).rejects.toThrow(/unknown setting/);
    expect((await t.store.settings.values())['sms.limit.user']).toBe('10/1h');
    expect(await rows()).toEqual([]);
  });

  it('a policy created, replaced and deleted; a conflicting one refused without a row', async () => {
    const lab = { name: 'lab', scope: 'authentication', actions: [['otppin', 'userstore']] as const, conditions: { realm: ['lab'] }, priority: 5 };
    await changes.setPolicy(carol, lab);
    await changes.setPolicy(carol, { ...lab, active: false });
    // With lab switched off, another value for the same logins is no conflict.
    await changes.setPolicy(carol, { ...lab, name: 'lab-none', actions: [['otppin', 'none']] });
    await changes.deletePolicy(carol, 'lab-none');
    await expect(changes.deletePolicy(carol, 'lab-none')).rejects.toThrow(/no policy 'lab-none'/);
    await changes.setPolicy(carol, { ...lab, active: true });
    await expect(changes.setPolicy(carol, { ...lab, name: 'lab-other', actions: [['otppin', 'tokenpin']] })).rejects.toThrow(/conflicts with policy lab/);
    expect((await rows()).map((r) => r.reason)).toEqual([
      'policy lab created: authentication, priority 5; otppin=userstore for realm=lab (by web:carol@corp)',
      'policy lab replaced: authentication, priority 5, inactive; otppin=userstore for realm=lab (by web:carol@corp)',
      'policy lab-none created: authentication, priority 5; otppin=none for realm=lab (by web:carol@corp)',
      'policy lab-none deleted (by web:carol@corp)',
      'policy lab replaced: authentication, priority 5; otppin=userstore for realm=lab (by web:carol@corp)',
    ]);
    expect((await policies.list()).map((p) => p.name)).toEqual(['lab']);
  });

  it("an API key's rows name its id, role and description, never the key", async () => {
    const created = await changes.createApiKey(carol, 'validate', 'VPN portal');
    await changes.deleteApiKey(carol, String(created.id));
    await expect(changes.createApiKey(carol, 'root', '')).rejects.toThrow(/--role must be one of/);
    const reasons = (await rows()).map((r) => r.reason);
    expect(reasons).toEqual([`API key ${created.id} created: role validate, 'VPN portal' (by web:carol@corp)`, `API key ${created.id} deleted (by web:carol@corp)`]);
    expect(JSON.stringify(await rows())).not.toContain(created.key);
  });
});
