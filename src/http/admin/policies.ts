// privacyIDEA's /policy/ endpoints: list, read, set and delete policies, through the same
// application layer as the CLI's `policy` commands (src/app/policy-admin.ts). Its parameter
// names: scope, action, realm, client, user, priority, active; ours: group. privacyIDEA's
// clients send `action` as a string `k=v, k2=v2` (a bare `k` meaning k=true) or as a JSON
// object; both are taken, and a JSON array of `k=v` strings too. A list condition is a
// comma-separated string or a JSON array. A text with a comma needs the JSON forms.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditedChanges, ChangeActor } from '../../app/audited-changes.js';
import type { PolicyAdmin } from '../../app/policy-admin.js';
import type { Policy, PolicyInput } from '../../core/policies/policy.js';
import { HttpRequestError } from '../errors.js';
import { adminResponse } from '../responses.js';

export interface PolicyRoutesOptions {
  readonly policies: PolicyAdmin;
  /** Changes go through here: an audit row each, naming the API key. */
  readonly changes: Pick<AuditedChanges, 'setPolicy' | 'deletePolicy'>;
  readonly actorOf: (request: FastifyRequest) => ChangeActor;
  readonly now: () => number;
}

export function policyRoutes(app: FastifyInstance, o: PolicyRoutesOptions): void {
  app.get('/policy/', async () => adminResponse((await o.policies.list()).map(asPrivacyIdea), null, o.now()));

  app.get('/policy/:name', async (request) => {
    const { name } = request.params as { name: string };
    return adminResponse([asPrivacyIdea(await o.policies.get(name))], null, o.now());
  });

  app.post('/policy/:name', async (request) => {
    const { name } = request.params as { name: string };
    const { policy, created } = await o.changes.setPolicy(o.actorOf(request), policyInput(name, request));
    return adminResponse({ [`setPolicy ${policy.name}`]: created ? 'insert' : 'update' }, null, o.now());
  });

  app.delete('/policy/:name', async (request) => {
    const { name } = request.params as { name: string };
    await o.changes.deletePolicy(o.actorOf(request), name);
    return adminResponse(1, null, o.now());
  });
}

/** A policy as privacyIDEA's GET /policy/ lists one: action as an object (reply_attribute, repeatable, as a list). */
function asPrivacyIdea(p: Policy): Record<string, unknown> {
  const action: Record<string, string | string[]> = {};
  for (const a of p.actions) {
    if (a.key === 'reply_attribute') ((action[a.key] ??= []) as string[]).push(a.value);
    else action[a.key] = a.value;
  }
  return {
    name: p.name,
    scope: p.scope,
    action,
    realm: p.conditions.realm ?? [],
    client: p.conditions.client ?? [],
    user: p.conditions.user ?? [],
    group: p.conditions.group ?? [],
    priority: p.priority,
    active: p.active,
  };
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

function policyInput(name: string, request: FastifyRequest): PolicyInput {
  const params = { ...objectOf(request.query, 'query string'), ...objectOf(request.body, 'body') };
  const scope = params.scope;
  if (typeof scope !== 'string' || scope === '') throw new HttpRequestError("missing parameter: 'scope'");
  const priority = params.priority;
  let priorityValue: number | undefined;
  if (priority !== undefined && priority !== '') {
    if (!/^\d{1,4}$/.test(String(priority))) throw new HttpRequestError(`parameter 'priority' takes a whole number (lower wins), not '${String(priority)}'`);
    priorityValue = Number(priority);
  }
  const active = params.active;
  let activeValue = true;
  if (active !== undefined && active !== '') {
    const word = String(active).trim().toLowerCase();
    if (!TRUE.has(word) && !FALSE.has(word)) throw new HttpRequestError(`parameter 'active' takes true or false, not '${String(active)}'`);
    activeValue = TRUE.has(word);
  }
  return {
    name,
    scope,
    actions: actionsOf(params.action),
    conditions: { realm: listOf(params.realm, 'realm'), client: listOf(params.client, 'client'), user: listOf(params.user, 'user'), group: listOf(params.group, 'group') },
    ...(priorityValue === undefined ? {} : { priority: priorityValue }),
    active: activeValue,
  };
}

function objectOf(values: unknown, source: string): Record<string, unknown> {
  if (values === undefined || values === null || values === '') return {};
  if (typeof values !== 'object' || Array.isArray(values)) throw new HttpRequestError(`the ${source} must be a form or a JSON object`);
  return values as Record<string, unknown>;
}

/** `k=v` or a bare `k` (privacyIDEA's boolean action, true). */
function pair(text: string): [string, string] {
  const eq = text.indexOf('=');
  return eq < 0 ? [text.trim(), 'true'] : [text.slice(0, eq).trim(), text.slice(eq + 1).trim()];
}

function actionsOf(action: unknown): Array<[string, string]> {
  if (action === undefined || action === '') throw new HttpRequestError("missing parameter: 'action'");
  if (typeof action === 'string') return action.split(',').filter((s) => s.trim() !== '').map(pair);
  if (Array.isArray(action) && action.every((a) => typeof a === 'string')) return (action as string[]).map(pair);
  if (typeof action === 'object' && action !== null && !Array.isArray(action)) {
    return Object.entries(action).flatMap(([key, value]): Array<[string, string]> => {
      if (Array.isArray(value)) return value.map((v) => [key, String(v)]);
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return [[key, String(value)]];
      throw new HttpRequestError(`action '${key}' must be a string, a number, a boolean or a list of them`);
    });
  }
  throw new HttpRequestError("parameter 'action' takes 'k=v, k2=v2', a JSON object or a JSON array of 'k=v'");
}

function listOf(value: unknown, name: string): string[] {
  if (value === undefined || value === null || value === '') return [];
  if (typeof value === 'string') return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  throw new HttpRequestError(`parameter '${name}' takes a comma-separated string or a JSON array of strings`);
}
