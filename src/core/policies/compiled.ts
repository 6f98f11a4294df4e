// The policies of one configuration revision, compiled once into what a login asks cheaply:
// per scope, policies indexed by user and by realm (most policies name one or the other), the
// rest in one list; conditions as Sets; client networks as BlockLists. A login looks only at
// the policies that can match its user or realm, so 1 000 policies of other realms cost it
// two Map lookups.
import type { ActionKey, PolicyScope } from './actions.js';
import { ClientMatcher, parseClientEntry } from './clients.js';
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

class ScopeIndex {
  readonly byUser = new Map<string, CompiledPolicy[]>();
  readonly byRealm = new Map<string, CompiledPolicy[]>();
  readonly rest: CompiledPolicy[] = [];
  needsGroups = false;
  size = 0;

  add(c: CompiledPolicy): void {
    this.size++;
    if (c.groups) this.needsGroups = true;
    const push = (map: Map<string, CompiledPolicy[]>, key: string) => {
      const list = map.get(key);
      if (list) list.push(c);
      else map.set(key, [c]);
    };
    if (c.users) for (const u of c.users) push(this.byUser, u);
    else if (c.realms) for (const r of c.realms) push(this.byRealm, r);
    else this.rest.push(c);
  }

  candidates(subject: PolicySubject): CompiledPolicy[] {
    const byUser = this.byUser.get(subject.username) ?? [];
    const byRealm = this.byRealm.get(subject.realm) ?? [];
    if (byUser.length === 0 && byRealm.length === 0) return this.rest;
    return [...byUser, ...byRealm, ...this.rest].sort((a, b) => a.rank - b.rank);
  }
}

const EMPTY: Evaluation = { actions: new Map(), replyAttributes: [], policies: [], group: undefined };

export class CompiledPolicies {
  private readonly scopes: Record<PolicyScope, ScopeIndex> = { authentication: new ScopeIndex(), authorization: new ScopeIndex() };

  private constructor(policies: readonly Policy[]) {
    const active = policies.filter((p) => p.active).sort((a, b) => a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    active.forEach((policy, rank) => this.scopes[policy.scope].add(compileOne(policy, rank)));
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
