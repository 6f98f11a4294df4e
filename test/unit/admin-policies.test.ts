// The admin policy scope (src/core/policies): who gets which web UI role, which realms a
// helpdesk sees, whether self-service may enroll. Validation, the conflict rule, evaluation.
import { describe, expect, it } from 'vitest';
import { CompiledPolicies, type PolicySubject } from '../../src/core/policies/compiled.js';
import { actionsOfScope, findConflict, validatePolicy, type Policy, type PolicyInput } from '../../src/core/policies/policy.js';
import { realmsOfAdminrealm } from '../../src/core/policies/actions.js';

const admin = (input: Partial<PolicyInput> & { name: string }): Policy =>
  validatePolicy({ scope: 'admin', actions: [['role', 'helpdesk']], ...input });

const subject = (over: Partial<PolicySubject> = {}): PolicySubject => ({
  username: 'alice',
  realm: 'corp',
  clientName: '',
  clientAddress: '192.0.2.10',
  ...over,
});

describe('admin policy validation', () => {
  it('lists its actions in the catalogue order', () => {
    expect(actionsOfScope('admin')).toEqual(['role', 'adminrealm', 'selfservice_enroll']);
  });

  it('gives canonical values: role in lower case, adminrealm normalised, sorted, without repeats; booleans as true/false', () => {
    const p = admin({
      name: 'hd',
      actions: [['role', ' HelpDesk '], ['adminrealm', 'Sales.Example, hq.example,sales.example  B.example'], ['selfservice_enroll', 'yes']],
      conditions: { group: ['helpdesk'], realm: ['CORP'] },
    });
    expect(p).toEqual({
      name: 'hd',
      scope: 'admin',
      actions: [
        { key: 'role', value: 'helpdesk' },
        { key: 'adminrealm', value: 'b.example,hq.example,sales.example' },
        { key: 'selfservice_enroll', value: 'true' },
      ],
      conditions: { group: ['helpdesk'], realm: ['corp'] },
      priority: 1,
      active: true,
    });
    expect(realmsOfAdminrealm(p.actions[1]!.value)).toEqual(['b.example', 'hq.example', 'sales.example']);
    expect(admin({ name: 'x', actions: [['selfservice_enroll', 'OFF']] }).actions).toEqual([{ key: 'selfservice_enroll', value: 'false' }]);
  });

  it('refuses what it cannot take, naming it', () => {
    expect(() => admin({ name: 'p', actions: [['role', 'root']] })).toThrow(/action role takes admin or helpdesk, not 'root'/);
    expect(() => admin({ name: 'p', actions: [['adminrealm', ' , ']] })).toThrow(/adminrealm takes one or more realm names/);
    expect(() => admin({ name: 'p', actions: [['adminrealm', 'a\u0001b']] })).toThrow(/control character/);
    expect(() => admin({ name: 'p', actions: [['selfservice_enroll', 'maybe']] })).toThrow(/selfservice_enroll takes true or false/);
    expect(() => admin({ name: 'p', actions: [['otppin', 'userstore']] })).toThrow(/belongs to scope authentication, not admin/);
    expect(() => validatePolicy({ name: 'p', scope: 'authentication', actions: [['role', 'admin']] })).toThrow(/belongs to scope admin/);
    expect(() => admin({ name: 'p', actions: [['role', 'admin'], ['role', 'helpdesk']] })).toThrow(/given twice/);
    expect(() => admin({ name: 'p', actions: [['nope', 'x']] })).toThrow(/known: role, adminrealm, selfservice_enroll/);
  });
});

describe('admin policy conflicts', () => {
  it('refuses two of one priority that can both hold and give different roles or realms', () => {
    const a = admin({ name: 'a', actions: [['role', 'admin']], conditions: { group: ['it'] } });
    const b = admin({ name: 'b', actions: [['role', 'helpdesk']], conditions: { group: ['support'] } });
    // Groups never make two policies disjoint: one person may be in both.
    expect(findConflict(b, [a])).toMatch(/policy b conflicts with policy a: both have priority 1.*role to 'helpdesk' and 'admin'/);
    const c = admin({ name: 'c', actions: [['adminrealm', 'x.example,y.example']], conditions: { realm: ['corp'] } });
    const d = admin({ name: 'd', actions: [['adminrealm', 'y.example, X.example']], conditions: { realm: ['corp'] } });
    expect(findConflict(d, [c])).toBeUndefined(); // the same canonical list
    const e = admin({ name: 'e', actions: [['adminrealm', 'x.example']], conditions: { realm: ['corp'] } });
    expect(findConflict(e, [c])).toMatch(/adminrealm/);
  });

  it('takes them apart by priority, disjoint users or realms, or another scope', () => {
    const a = admin({ name: 'a', actions: [['role', 'admin']], conditions: { user: ['alice'] } });
    expect(findConflict(admin({ name: 'b', conditions: { user: ['bob'] } }), [a])).toBeUndefined();
    expect(findConflict(admin({ name: 'b', priority: 2 }), [a])).toBeUndefined();
    expect(findConflict(admin({ name: 'b', conditions: { realm: ['other'] } }), [admin({ name: 'a', actions: [['role', 'admin']], conditions: { realm: ['corp'] } })])).toBeUndefined();
    const authn = validatePolicy({ name: 'n', scope: 'authentication', actions: [['otppin', 'none']] });
    expect(findConflict(admin({ name: 'b' }), [authn])).toBeUndefined();
  });
});

describe('admin policy evaluation', () => {
  const policies = CompiledPolicies.compile([
    admin({ name: 'admins', actions: [['role', 'admin']], conditions: { group: ['it-admins'] }, priority: 0 }),
    admin({ name: 'helpdesk-sales', actions: [['role', 'helpdesk'], ['adminrealm', 'sales.example']], conditions: { group: ['support'], realm: ['corp'] } }),
    admin({ name: 'carol', actions: [['role', 'helpdesk']], conditions: { user: ['carol'] }, priority: 5 }),
    admin({ name: 'enroll-corp', actions: [['selfservice_enroll', 'true']], conditions: { realm: ['corp'] }, priority: 9 }),
    admin({ name: 'off', actions: [['role', 'admin']], active: false }),
  ]);

  it('gives the best priority its action, with the deciding policies in order', () => {
    const both = policies.evaluate('admin', subject({ groups: ['support', 'it-admins'] }));
    expect(both.actions.get('role')).toEqual({ value: 'admin', policy: 'admins' });
    expect(both.actions.get('adminrealm')).toEqual({ value: 'sales.example', policy: 'helpdesk-sales' });
    expect(both.policies).toEqual(['admins', 'helpdesk-sales', 'enroll-corp']);
    expect(policies.needsGroups('admin')).toBe(true);
  });

  it('a helpdesk member of realm corp; the same group in another realm gets nothing', () => {
    const hd = policies.evaluate('admin', subject({ groups: ['support'] }));
    expect(hd.actions.get('role')?.value).toBe('helpdesk');
    expect(hd.actions.get('selfservice_enroll')?.value).toBe('true');
    const elsewhere = policies.evaluate('admin', subject({ realm: 'other', groups: ['support'] }));
    expect(elsewhere.actions.size).toBe(0);
  });

  it('by user name; an inactive policy never decides; other scopes are untouched', () => {
    expect(policies.evaluate('admin', subject({ username: 'carol', realm: 'x' })).actions.get('role')).toEqual({ value: 'helpdesk', policy: 'carol' });
    expect(policies.evaluate('admin', subject({ username: 'dave', realm: 'x' })).actions.size).toBe(0);
    expect(policies.isEmpty('authentication')).toBe(true);
    expect(policies.evaluate('authorization', subject({ groups: ['it-admins'] })).policies).toEqual([]);
  });
});
