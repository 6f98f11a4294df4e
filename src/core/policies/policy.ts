// A policy: a name, a scope, actions, conditions and a priority (lower wins), active or not.
// Conditions are lists, all optional, all must hold: realm, client (a RADIUS client's name or
// an address/CIDR), group (a directory group's name), user. A condition left out matches
// everything. Validation gives the canonical form stored; conflicts are refused when saved,
// so that a login always finds one winner per action.
import { SettingError } from '../settings.js';
import { normaliseRealm } from '../names.js';
import { ACTIONS, POLICY_SCOPES, definitionOf, isActionKey, normaliseAction, type ActionKey, type PolicyScope, type ReplyAttributeCheck } from './actions.js';
import { describeClientEntry, entriesOverlap, parseClientEntry } from './clients.js';

export const CONDITION_KINDS = ['realm', 'client', 'group', 'user'] as const;
export type ConditionKind = (typeof CONDITION_KINDS)[number];
export type PolicyConditions = { readonly [K in ConditionKind]?: readonly string[] };

export interface PolicyAction {
  readonly key: ActionKey;
  readonly value: string;
}

export interface Policy {
  readonly name: string;
  readonly scope: PolicyScope;
  readonly actions: readonly PolicyAction[];
  readonly conditions: PolicyConditions;
  readonly priority: number;
  readonly active: boolean;
}

/** A policy as an operator or a client gives it, before validation. */
export interface PolicyInput {
  readonly name: string;
  readonly scope: string;
  readonly actions: ReadonlyArray<readonly [string, string]>;
  readonly conditions?: { readonly [K in ConditionKind]?: readonly string[] | undefined };
  readonly priority?: number;
  readonly active?: boolean;
}

export const DEFAULT_PRIORITY = 1;
const MAX_PRIORITY = 9999;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The canonical policy, or a one-line SettingError naming what is wrong and how to say it. */
export function validatePolicy(input: PolicyInput, checkReplyAttribute?: ReplyAttributeCheck): Policy {
  if (!NAME.test(input.name)) {
    throw new SettingError(`policy name '${input.name}': 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  if (!POLICY_SCOPES.includes(input.scope as PolicyScope)) {
    throw new SettingError(`policy ${input.name}: scope takes ${POLICY_SCOPES.join(' or ')}, not '${input.scope}'`);
  }
  const scope = input.scope as PolicyScope;
  if (input.actions.length === 0) throw new SettingError(`policy ${input.name}: give at least one action KEY=VALUE`);
  const actions: PolicyAction[] = [];
  for (const [key, raw] of input.actions) {
    const value = normaliseAction(scope, key, raw, checkReplyAttribute);
    const k = key as ActionKey;
    if (!definitionOf(k).repeatable && actions.some((a) => a.key === k)) {
      throw new SettingError(`policy ${input.name}: action ${key} given twice; it takes one value (only reply_attribute repeats)`);
    }
    if (!actions.some((a) => a.key === k && a.value === value)) actions.push({ key: k, value });
  }
  const priority = input.priority ?? DEFAULT_PRIORITY;
  if (!Number.isInteger(priority) || priority < 0 || priority > MAX_PRIORITY) {
    throw new SettingError(`policy ${input.name}: priority takes a whole number from 0 to ${MAX_PRIORITY} (lower wins), not ${priority}`);
  }
  return { name: input.name, scope, actions, conditions: conditionsOf(input), priority, active: input.active ?? true };
}

function conditionsOf(input: PolicyInput): PolicyConditions {
  const out: { [K in ConditionKind]?: readonly string[] } = {};
  for (const kind of CONDITION_KINDS) {
    const values = (input.conditions?.[kind] ?? []).map((v) => v.trim()).filter((v) => v !== '');
    if (values.length === 0) continue;
    out[kind] = [...new Set(values.map((v) => canonicalCondition(input.name, kind, v)))];
  }
  return out;
}

function canonicalCondition(policy: string, kind: ConditionKind, value: string): string {
  if (kind === 'realm') return normaliseRealm(value);
  if (kind !== 'client') return value;
  const entry = parseClientEntry(value);
  if (!entry) {
    throw new SettingError(`policy ${policy}: client '${value}' is neither a client name nor an address or CIDR network (e.g. vpn-asa, 10.0.0.0/8, 2001:db8::/32)`);
  }
  return describeClientEntry(entry);
}

/** Whether some login can satisfy the conditions of both (groups never make two policies disjoint). */
export function canBothHold(a: PolicyConditions, b: PolicyConditions): boolean {
  for (const kind of ['realm', 'user'] as const) {
    const x = a[kind];
    const y = b[kind];
    if (x && y && !x.some((v) => y.includes(v))) return false;
  }
  const x = a.client?.map((c) => parseClientEntry(c)!);
  const y = b.client?.map((c) => parseClientEntry(c)!);
  if (x && y && !x.some((e) => y.some((f) => entriesOverlap(e, f)))) return false;
  return true;
}

/**
 * The first conflict of `policy` with the others, as the refusal says it: two active policies
 * of the same scope and priority whose conditions can both hold and that set one action to
 * different values. reply_attribute never conflicts: values of one priority level add up.
 */
export function findConflict(policy: Policy, others: readonly Policy[]): string | undefined {
  if (!policy.active) return undefined;
  for (const other of others) {
    if (other.name === policy.name || !other.active || other.scope !== policy.scope || other.priority !== policy.priority) continue;
    if (!canBothHold(policy.conditions, other.conditions)) continue;
    for (const action of policy.actions) {
      if (definitionOf(action.key).repeatable) continue;
      const theirs = other.actions.find((a) => a.key === action.key);
      if (theirs && theirs.value !== action.value) {
        return (
          `policy ${policy.name} conflicts with policy ${other.name}: both have priority ${policy.priority}, their conditions can both hold, ` +
          `and they set ${action.key} to '${action.value}' and '${theirs.value}'; give one a lower priority number (it wins) or make their conditions disjoint`
        );
      }
    }
  }
  return undefined;
}

/** The action keys of a scope, in the catalogue's order. */
export function actionsOfScope(scope: PolicyScope): ActionKey[] {
  return (Object.keys(ACTIONS) as string[]).filter((k): k is ActionKey => isActionKey(k) && ACTIONS[k].scope === scope);
}
