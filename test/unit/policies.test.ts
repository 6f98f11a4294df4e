// The policy domain (src/core/policies): validation, the conflict rule, compile and evaluate.
import { describe, expect, it } from 'vitest';
import { CompiledPolicies, type PolicySubject } from '../../src/core/policies/compiled.js';
import { findConflict, validatePolicy, type Policy, type PolicyInput } from '../../src/core/policies/policy.js';
import { overlaySettings } from '../../src/core/policies/overlay.js';
import { entriesOverlap, parseClientEntry } from '../../src/core/policies/clients.js';
import { networkKey, numericAddress } from '../../src/core/policies/networks.js';
import { resolveSettings } from '../../src/core/settings.js';

const policy = (input: Partial<PolicyInput> & { name: string }): Policy =>
  validatePolicy({ scope: 'authentication', actions: [['otppin', 'userstore']], ...input });

const subject = (over: Partial<PolicySubject> = {}): PolicySubject => ({
  username: 'alice',
  realm: 'corp',
  clientName: 'vpn',
  clientAddress: '10.1.2.3',
  ...over,
});

describe('policy validation', () => {
  it('gives the canonical form: realms in lower case, client networks as written, defaults', () => {
    const p = policy({ name: 'p', conditions: { realm: ['CORP', 'corp'], client: [' 10.0.0.0/8 ', 'vpn'], user: [] } });
    expect(p).toEqual({
      name: 'p',
      scope: 'authentication',
      actions: [{ key: 'otppin', value: 'userstore' }],
      conditions: { realm: ['corp'], client: ['10.0.0.0/8', 'vpn'] },
      priority: 1,
      active: true,
    });
  });

  it('refuses what it cannot take, naming it', () => {
    expect(() => policy({ name: 'bad name' })).toThrow(/policy name 'bad name'/);
    expect(() => policy({ name: 'p', scope: 'login' })).toThrow(/scope takes authentication or authorization/);
    expect(() => policy({ name: 'p', actions: [['otppin', 'maybe']] })).toThrow(/action otppin: takes one of tokenpin, userstore, none/);
    expect(() => policy({ name: 'p', actions: [['deny', 'x']] })).toThrow(/belongs to scope authorization/);
    expect(() => policy({ name: 'p', actions: [['otppin', 'none'], ['otppin', 'userstore']] })).toThrow(/given twice/);
    expect(() => policy({ name: 'p', actions: [['passOnNoToken', 'perhaps']] })).toThrow(/takes true or false/);
    expect(() => policy({ name: 'p', actions: [['otplen', '7']] })).toThrow(/takes one of 6, 8/);
    expect(() => policy({ name: 'p', conditions: { client: ['10.0.0.0/33'] } })).toThrow(/client '10.0.0.0\/33'/);
    expect(() => policy({ name: 'p', conditions: { client: ['10.0.0.999'] } })).toThrow(/client '10.0.0.999'/);
    expect(() => policy({ name: 'p', priority: -1 })).toThrow(/priority takes a whole number/);
    expect(() => policy({ name: 'p', scope: 'authorization', actions: [['deny', ' ']] })).toThrow(/deny takes the Reply-Message/);
    expect(() => policy({ name: 'p', scope: 'authorization', actions: [['reply_attribute', 'Class']] })).toThrow(/Name\[:tag\]=value/);
  });

  it('hands reply attributes to the injected checker', () => {
    const seen: string[] = [];
    validatePolicy({ name: 'p', scope: 'authorization', actions: [['reply_attribute', 'Class=a'], ['reply_attribute', 'Filter-Id=b']] }, (s) => void seen.push(s));
    expect(seen).toEqual(['Class=a', 'Filter-Id=b']);
    expect(() => validatePolicy({ name: 'p', scope: 'authorization', actions: [['reply_attribute', 'Nope=1']] }, () => { throw new Error('unknown attribute Nope'); })).toThrow(/Nope/);
  });
});

describe('client entries', () => {
  const overlap = (a: string, b: string) => entriesOverlap(parseClientEntry(a)!, parseClientEntry(b)!);
  it('networks overlap when one holds the other, v4 and v6', () => {
    expect(overlap('10.0.0.0/8', '10.20.0.0/16')).toBe(true);
    expect(overlap('10.20.0.0/16', '10.0.0.0/8')).toBe(true);
    expect(overlap('10.0.0.0/16', '10.1.0.0/16')).toBe(false);
    expect(overlap('192.0.2.7', '192.0.2.0/24')).toBe(true);
    expect(overlap('2001:db8::/32', '2001:db8:1::/48')).toBe(true);
    expect(overlap('2001:db8::/32', '2001:db9::/32')).toBe(false);
    expect(overlap('2001:db8::/32', '10.0.0.0/8')).toBe(false);
  });
  it('two names are disjoint only when they differ; a name may be at any address', () => {
    expect(overlap('asa', 'asa')).toBe(true);
    expect(overlap('asa', 'wlc')).toBe(false);
    expect(overlap('asa', '10.0.0.0/8')).toBe(true);
  });
});

describe('addresses as numbers', () => {
  it('parses IPv4, IPv6 with :: and an IPv4 tail, and takes IPv4-mapped addresses as IPv4', () => {
    expect(numericAddress('10.1.2.3')).toEqual({ family: 4, groups: [0x0a01, 0x0203] });
    expect(numericAddress('2001:db8::1')).toEqual({ family: 6, groups: [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1] });
    expect(numericAddress('::')).toEqual({ family: 6, groups: [0, 0, 0, 0, 0, 0, 0, 0] });
    expect(numericAddress('64:ff9b::192.0.2.1')).toEqual({ family: 6, groups: [0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x0201] });
    expect(numericAddress('::ffff:10.1.2.3')).toEqual({ family: 4, groups: [0x0a01, 0x0203] });
    expect(networkKey(numericAddress('10.1.2.3')!, 0)).toBe(networkKey(numericAddress('192.0.2.1')!, 0));
    expect(networkKey(numericAddress('10.1.2.3')!, 23)).toBe(networkKey(numericAddress('10.1.3.3')!, 23));
    expect(networkKey(numericAddress('10.1.2.3')!, 24)).not.toBe(networkKey(numericAddress('10.1.3.3')!, 24));
    expect(numericAddress('vpn')).toBeUndefined();
    expect(networkKey(numericAddress('10.1.2.3')!, 16)).toBe(networkKey(numericAddress('10.1.200.9')!, 16));
    expect(networkKey(numericAddress('10.1.2.3')!, 16)).not.toBe(networkKey(numericAddress('10.2.2.3')!, 16));
  });
});

describe('conflicts', () => {
  const a = policy({ name: 'a', conditions: { realm: ['corp'] } });
  it('same priority, conditions that can both hold, one action two values: refused with both names and the action', () => {
    const b = policy({ name: 'b', actions: [['otppin', 'none']], conditions: { client: ['vpn'] } });
    expect(findConflict(b, [a])).toMatch(/policy b conflicts with policy a: .*otppin to 'none' and 'userstore'/);
  });
  it('no conflict: other priority, same value, inactive, disjoint realms / users / clients, other scope', () => {
    const others = [a];
    expect(findConflict(policy({ name: 'b', actions: [['otppin', 'none']], priority: 2 }), others)).toBeUndefined();
    expect(findConflict(policy({ name: 'b' }), others)).toBeUndefined();
    expect(findConflict(policy({ name: 'b', actions: [['otppin', 'none']], active: false }), others)).toBeUndefined();
    expect(findConflict(policy({ name: 'b', actions: [['otppin', 'none']], conditions: { realm: ['contractors'] } }), others)).toBeUndefined();
    const byNet = policy({ name: 'n1', conditions: { client: ['10.0.0.0/16'] } });
    expect(findConflict(policy({ name: 'n2', actions: [['otppin', 'none']], conditions: { client: ['10.1.0.0/16'] } }), [byNet])).toBeUndefined();
    expect(findConflict(policy({ name: 'n2', actions: [['otppin', 'none']], conditions: { client: ['10.0.5.0/24'] } }), [byNet])).toMatch(/conflicts with policy n1/);
    const byUser = policy({ name: 'u1', conditions: { user: ['alice'] } });
    expect(findConflict(policy({ name: 'u2', actions: [['otppin', 'none']], conditions: { user: ['bob'] } }), [byUser])).toBeUndefined();
  });
  it('groups never make two policies disjoint', () => {
    const g1 = policy({ name: 'g1', conditions: { group: ['admins'] } });
    expect(findConflict(policy({ name: 'g2', actions: [['otppin', 'none']], conditions: { group: ['staff'] } }), [g1])).toMatch(/conflicts with policy g1/);
  });
  it('replacing a policy does not conflict with its old self; reply_attribute never conflicts', () => {
    expect(findConflict(policy({ name: 'a', actions: [['otppin', 'none']] }), [a])).toBeUndefined();
    const r1 = policy({ name: 'r1', scope: 'authorization', actions: [['reply_attribute', 'Class=x']] });
    expect(findConflict(policy({ name: 'r2', scope: 'authorization', actions: [['reply_attribute', 'Class=y']] }), [r1])).toBeUndefined();
  });
});

describe('evaluation', () => {
  it('the lower priority number wins per action, each action from its own policy', () => {
    const compiled = CompiledPolicies.compile([
      policy({ name: 'site-wide', priority: 10, actions: [['otppin', 'tokenpin'], ['smstext', 'code {otp}']] }),
      policy({ name: 'corp', priority: 5, conditions: { realm: ['corp'] } }),
      policy({ name: 'other', priority: 1, actions: [['otppin', 'none']], conditions: { realm: ['other'] } }),
    ]);
    const e = compiled.evaluate('authentication', subject());
    expect(Object.fromEntries(e.actions)).toEqual({
      otppin: { value: 'userstore', policy: 'corp' },
      smstext: { value: 'code {otp}', policy: 'site-wide' },
    });
    expect(e.policies).toEqual(['corp', 'site-wide']);
    expect(compiled.evaluate('authentication', subject({ realm: 'other' })).actions.get('otppin')).toEqual({ value: 'none', policy: 'other' });
  });

  it('inactive policies are left out; no match: nothing decided', () => {
    const compiled = CompiledPolicies.compile([policy({ name: 'off', active: false })]);
    expect(compiled.isEmpty('authentication')).toBe(true);
    expect(CompiledPolicies.compile([policy({ name: 'x', conditions: { user: ['bob'] } })]).evaluate('authentication', subject()).policies).toEqual([]);
  });

  it('client by name or by network, IPv4 seen as IPv4-mapped IPv6 too, and IPv6', () => {
    const compiled = CompiledPolicies.compile([
      policy({ name: 'by-name', conditions: { client: ['asa'] } }),
      policy({ name: 'by-net', priority: 2, actions: [['otppin', 'none']], conditions: { client: ['10.20.0.0/16', '2001:db8::/32'] } }),
    ]);
    const won = (s: Partial<PolicySubject>) => compiled.evaluate('authentication', subject(s)).actions.get('otppin')?.policy;
    expect(won({ clientName: 'asa' })).toBe('by-name');
    expect(won({ clientAddress: '10.20.9.9' })).toBe('by-net');
    expect(won({ clientAddress: '::ffff:10.20.9.9' })).toBe('by-net');
    expect(won({ clientAddress: '2001:db8::5' })).toBe('by-net');
    expect(won({ clientAddress: '10.21.0.1' })).toBeUndefined();
  });

  it('groups: a member matches, {group} is the group the deciding policy named', () => {
    const compiled = CompiledPolicies.compile([policy({ name: 'admins', conditions: { group: ['vpn-admins'] } })]);
    expect(compiled.needsGroups('authentication')).toBe(true);
    expect(compiled.evaluate('authentication', subject()).policies).toEqual([]);
    const e = compiled.evaluate('authentication', subject({ groups: ['staff', 'vpn-admins'] }));
    expect(e.policies).toEqual(['admins']);
    expect(e.group).toBe('vpn-admins');
  });

  it('reply_attribute: per attribute the best priority level; values of one level and other attributes add up', () => {
    const compiled = CompiledPolicies.compile([
      policy({ name: 'default-class', scope: 'authorization', priority: 10, actions: [['reply_attribute', 'Class=users'], ['reply_attribute', 'Session-Timeout=3600']] }),
      policy({ name: 'admins', scope: 'authorization', priority: 1, actions: [['reply_attribute', 'Class=vpn-admins']], conditions: { group: ['vpn-admins'] } }),
      policy({ name: 'admins-too', scope: 'authorization', priority: 1, actions: [['reply_attribute', 'Class=ops']], conditions: { user: ['alice'] } }),
      policy({ name: 'vlan', scope: 'authorization', priority: 5, actions: [['reply_attribute', 'Tunnel-Type:1=VLAN'], ['reply_attribute', 'Tunnel-Private-Group-Id:1=20']] }),
    ]);
    const e = compiled.evaluate('authorization', subject({ groups: ['vpn-admins'] }));
    expect(e.replyAttributes.map((a) => `${a.policy}: ${a.value}`)).toEqual([
      'admins: Class=vpn-admins',
      'admins-too: Class=ops',
      'vlan: Tunnel-Type:1=VLAN',
      'vlan: Tunnel-Private-Group-Id:1=20',
      'default-class: Session-Timeout=3600',
    ]);
    const plain = compiled.evaluate('authorization', subject({ username: 'bob' }));
    expect(plain.replyAttributes.map((a) => a.value)).toEqual(['Tunnel-Type:1=VLAN', 'Tunnel-Private-Group-Id:1=20', 'Class=users', 'Session-Timeout=3600']);
  });

  it('overlays the settings the actions take over, typed; the site settings stay the defaults', () => {
    const site = resolveSettings(new Map([['smstext', 'site {otp}']]));
    const compiled = CompiledPolicies.compile([
      policy({ name: 'corp', actions: [['otppin', 'userstore'], ['passOnNoToken', 'yes'], ['challenge_text', 'Code for {group}:'], ['otplen', '8']], conditions: { realm: ['corp'] } }),
    ]);
    const overlaid = overlaySettings(site, compiled.evaluate('authentication', subject()));
    expect(overlaid).toMatchObject({ otppin: 'userstore', passOnNoToken: true, sms_challenge_text: 'Code for {group}:', otplen: '8', smstext: 'site {otp}' });
    expect(site.otppin).toBe('tokenpin');
    expect(overlaySettings(site, compiled.evaluate('authentication', subject({ realm: 'x' })))).toBe(site);
  });

  it('1 000 policies of other users, realms, groups and NAS networks cost a login a few lookups, not a scan', () => {
    const conditionsOf = (i: number) =>
      [{ realm: [`realm${i}`] }, { user: [`user${i}`] }, { group: [`group${i}`] }, { client: [`10.${i >> 8}.${i & 255}.0/24`, `nas${i}`] }][i % 4]!;
    const many = Array.from({ length: 1000 }, (_, i) => policy({ name: `p${i}`, priority: i % 7, actions: [['otppin', 'none']], conditions: conditionsOf(i) }));
    const compiled = CompiledPolicies.compile(many);
    const s = subject({ groups: ['staff', 'sales'], clientAddress: '192.0.2.1' });
    const won = (over: Partial<PolicySubject>) => compiled.evaluate('authentication', subject(over)).actions.get('otppin')?.policy;
    expect(won({ realm: 'realm0' })).toBe('p0');
    expect(won({ username: 'user1' })).toBe('p1');
    expect(won({ groups: ['x', 'group2'] })).toBe('p2');
    expect(won({ clientAddress: '10.0.3.77' })).toBe('p3');
    expect(won({ clientAddress: '::ffff:10.0.3.77' })).toBe('p3');
    expect(won({ clientName: 'nas7' })).toBe('p7');
    expect(won(s)).toBeUndefined();
    // Against 20 policies of the same kinds: a scan would make 1 000 fifty times slower; the
    // index keeps them alike. Interleaved rounds and medians, so that a loaded machine slows both.
    const few = CompiledPolicies.compile(many.slice(0, 20));
    const time = (c: CompiledPolicies) => {
      const start = process.hrtime.bigint();
      for (let i = 0; i < 2_000; i++) c.evaluate('authentication', s);
      return Number(process.hrtime.bigint() - start);
    };
    const rounds: Array<[number, number]> = [];
    for (let r = 0; r < 9; r++) rounds.push([time(compiled), time(few)]);
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[4]!;
    expect(median(rounds.map((r) => r[0]))).toBeLessThan(5 * median(rounds.map((r) => r[1])));
  });

  it('indexes IPv6 networks and IPv4-mapped networks', () => {
    const compiled = CompiledPolicies.compile([
      policy({ name: 'v6', conditions: { client: ['2001:db8:ab::/48'] } }),
      policy({ name: 'mapped', actions: [['otppin', 'none']], conditions: { client: ['::ffff:192.0.2.0/120'] } }),
    ]);
    const won = (a: string) => compiled.evaluate('authentication', subject({ clientAddress: a })).actions.get('otppin')?.policy;
    expect(won('2001:db8:ab:1::9')).toBe('v6');
    expect(won('2001:db8:ac::9')).toBeUndefined();
    expect(won('192.0.2.77')).toBe('mapped');
    expect(won('192.0.3.77')).toBeUndefined();
  });
});
