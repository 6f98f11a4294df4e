// The policies of one configuration revision, compiled once into what a login asks cheaply:
// per scope, policies indexed by user, realm, group, client name and client network (see
// ScopeIndex); conditions as Sets; client networks as BlockLists. A login looks only at the
// policies that can match it, so 1 000 policies for other users, realms, groups and NAS cost
// it a handful of Map lookups, not a scan.
import type { ActionKey, PolicyScope } from './actions.js';
import { ClientMatcher, parseClientEntry } from './clients.js';
import { networkKey, numericAddress } from './networks.js';
import type { Policy } from './policy.js';

/** Who a login is for, as policies see it. */
export interface PolicySubject {
  readonly username: string;
  readonly realm: string;
  readonly clientName: string;
  readonly clientAddress: string;
  /** The user's directory groups (absent: none read). */
  readonly groups?: readonly string[];
}

/** One action's value and the policy it comes from. */
export interface Decided {
  readonly value: string;
  readonly policy: string;
}

export interface Evaluation {
  /** The winning value of each single-valued action that some matching policy sets. */
  readonly actions: ReadonlyMap<ActionKey, Decided>;
  /** reply_attribute values: per attribute (name and tag), those of the best priority level that sets it. */
  readonly replyAttributes: readonly Decided[];
  /** The policies that gave a value above, in priority order. */
  readonly policies: readonly string[];
  /** For the {group} tag: the user's first group that a deciding policy's group condition names, else the user's first group. */
  readonly group: string | undefined;
}

interface CompiledPolicy {
  readonly policy: Policy;
  /** Position in priority order (then name): merging candidate lists sorts by it. */
  readonly rank: number;
  readonly realms?: ReadonlySet<string>;
  readonly users?: ReadonlySet<string>;
  readonly groups?: ReadonlySet<string>;
  readonly clients?: ClientMatcher;
}

/** Policies listed under a key (a user, a realm, a group, a client name, a network). */
class Listing {
  private readonly lists = new Map<string, CompiledPolicy[]>();

  add(key: string, c: CompiledPolicy): void {
    const list = this.lists.get(key);
    if (list) list.push(c);
    else this.lists.set(key, [c]);
  }

  get(key: string): readonly CompiledPolicy[] {
    return this.lists.get(key) ?? NONE;
  }
}

const NONE: readonly CompiledPolicy[] = [];

/**
 * One scope's policies, each listed under its most selective condition: its users, else its
 * realms, else its groups, else its client names and networks; those without any of them
 * (few: they apply to everyone) in `rest`. A login gathers the lists its user, realm, groups,
 * client name and address (masked once per prefix length in use) select, then checks every
 * condition of just those.
 */
class ScopeIndex {
  private readonly byUser = new Listing();
  private readonly byRealm = new Listing();
  private readonly byGroup = new Listing();
  private readonly byClient = new Listing();
  private readonly byNetwork = new Listing();
  /** The prefix lengths the networks use, per address family. */
  private readonly prefixes = { 4: new Set<number>(), 6: new Set<number>() };
  private readonly rest: CompiledPolicy[] = [];
  needsGroups = false;
  size = 0;

  add(c: CompiledPolicy): void {
    this.size++;
    const { realm, user, group, client } = c.policy.conditions;
    if (group) this.needsGroups = true;
    if (user) for (const u of user) this.byUser.add(u, c);
    else if (realm) for (const r of realm) this.byRealm.add(r, c);
    else if (group) for (const g of group) this.byGroup.add(g, c);
    else if (client) {
      for (const entry of client.map((e) => parseClientEntry(e)!)) {
        if (entry.kind === 'name') {
          this.byClient.add(entry.name, c);
          continue;
        }
        const family = entry.family === 'ipv4' ? 4 : 6;
        const address = numericAddress(entry.address)!;
        // An IPv4-mapped IPv6 network (::ffff:10.0.0.0/104) is listed as the IPv4 one.
        const prefix = family === 6 && address.family === 4 ? Math.max(0, entry.prefix - 96) : entry.prefix;
        this.prefixes[address.family].add(prefix);
        this.byNetwork.add(networkKey(address, prefix), c);
      }
    } else this.rest.push(c);
  }

  candidates(subject: PolicySubject): readonly CompiledPolicy[] {
    // Per login: no intermediate arrays unless something was found (GC showed in round 2).
    let found: CompiledPolicy[] | undefined;
    const take = (list: readonly CompiledPolicy[]) => {
      if (list.length > 0) (found ??= []).push(...list);
    };
    take(this.byUser.get(subject.username));
    take(this.byRealm.get(subject.realm));
    take(this.byClient.get(subject.clientName));
    if (subject.groups) for (const g of subject.groups) take(this.byGroup.get(g));
    const address = numericAddress(subject.clientAddress);
    if (address) for (const prefix of this.prefixes[address.family]) take(this.byNetwork.get(networkKey(address, prefix)));
    if (!found) return this.rest;
    const all: CompiledPolicy[] = found;
    all.push(...this.rest);
    if (all.length === 1) return all;
    // A policy may be listed twice (a client name and a network both selecting it): once here.
    return [...new Set(all)].sort((a, b) => a.rank - b.rank);
  }
}

const EMPTY: Evaluation = { actions: new Map(), replyAttributes: [], policies: [], group: undefined };

export class CompiledPolicies {
  private readonly scopes: Record<PolicyScope, ScopeIndex> = {
    authentication: new ScopeIndex(),
    authorization: new ScopeIndex(),
    admin: new ScopeIndex(),
  };

  /** The active policies, by priority then name. */
  readonly active: readonly Policy[];

  private constructor(policies: readonly Policy[]) {
    this.active = policies.filter((p) => p.active).sort((a, b) => a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.active.forEach((policy, rank) => this.scopes[policy.scope].add(compileOne(policy, rank)));
  }

  static compile(policies: readonly Policy[]): CompiledPolicies {
    return new CompiledPolicies(policies);
  }

  static readonly none: CompiledPolicies = new CompiledPolicies([]);

  /** No active policy of this scope: a login need not ask. */
  isEmpty(scope: PolicyScope): boolean {
    return this.scopes[scope].size === 0;
  }

  /** Some active policy of this scope has a group condition: the login needs the user's groups. */
  needsGroups(scope: PolicyScope): boolean {
    return this.scopes[scope].needsGroups;
  }

  evaluate(scope: PolicyScope, subject: PolicySubject): Evaluation {
    const index = this.scopes[scope];
    if (index.size === 0) return EMPTY;
    const actions = new Map<ActionKey, Decided>();
    const replyAttributes: Decided[] = [];
    const attributeLevel = new Map<string, number>();
    const deciding: CompiledPolicy[] = [];
    for (const c of index.candidates(subject)) {
      if (!matches(c, subject)) continue;
      let decided = false;
      for (const { key, value } of c.policy.actions) {
        if (key === 'reply_attribute') {
          const attribute = value.slice(0, value.indexOf('='));
          const level = attributeLevel.get(attribute);
          if (level !== undefined && level !== c.policy.priority) continue;
          attributeLevel.set(attribute, c.policy.priority);
          replyAttributes.push({ value, policy: c.policy.name });
          decided = true;
        } else if (!actions.has(key)) {
          actions.set(key, { value, policy: c.policy.name });
          decided = true;
        }
      }
      if (decided) deciding.push(c);
    }
    if (deciding.length === 0) return EMPTY;
    return { actions, replyAttributes, policies: deciding.map((c) => c.policy.name), group: groupTag(deciding, subject.groups) };
  }
}

function compileOne(policy: Policy, rank: number): CompiledPolicy {
  const { realm, user, group, client } = policy.conditions;
  return {
    policy,
    rank,
    ...(realm ? { realms: new Set(realm) } : {}),
    ...(user ? { users: new Set(user) } : {}),
    ...(group ? { groups: new Set(group) } : {}),
    ...(client ? { clients: new ClientMatcher(client.map((c) => parseClientEntry(c)!)) } : {}),
  };
}

function matches(c: CompiledPolicy, s: PolicySubject): boolean {
  if (c.users && !c.users.has(s.username)) return false;
  if (c.realms && !c.realms.has(s.realm)) return false;
  if (c.clients && !c.clients.matches(s.clientName, s.clientAddress)) return false;
  if (c.groups && !(s.groups ?? []).some((g) => c.groups!.has(g))) return false;
  return true;
}

function groupTag(deciding: readonly CompiledPolicy[], groups: readonly string[] | undefined): string | undefined {
  if (!groups || groups.length === 0) return undefined;
  for (const c of deciding) {
    const named = c.groups && groups.find((g) => c.groups!.has(g));
    if (named) return named;
  }
  return groups[0];
}
