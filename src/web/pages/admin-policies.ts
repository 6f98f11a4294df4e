// Policies as `policy list|show|set|delete` handle them, through PolicyAdmin: the list by
// priority; a policy's page, which is its edit form; a form for a new one; deletion after a
// confirmation page. The form takes the conditions as comma lists and the actions as KEY=VALUE
// lines (reply_attribute may repeat). What the core refuses (a bad value, a conflict with
// another policy of the same priority) is shown above the form with what was typed kept.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ACTIONS, POLICY_SCOPES, type ActionKey } from '../../core/policies/actions.js';
import { CONDITION_KINDS, type Policy, type PolicyInput } from '../../core/policies/policy.js';
import { renderPage } from '../render.js';
import type { WebOptions } from '../services.js';
import { actorOf, doneThen, field, refusalOf, requireAdmin, takeNotice } from './admin.js';

/** The form's fields as typed (or as a stored policy fills them). */
interface PolicyForm {
  readonly name: string;
  readonly scope: string;
  readonly priority: string;
  readonly active: boolean;
  readonly realm: string;
  readonly client: string;
  readonly group: string;
  readonly user: string;
  readonly actions: string;
}

const EMPTY: PolicyForm = { name: '', scope: 'authentication', priority: '1', active: true, realm: '', client: '', group: '', user: '', actions: '' };

const conditionsText = (p: Policy) => CONDITION_KINDS.flatMap((k) => (p.conditions[k] ? [`${k} ${p.conditions[k]!.join(', ')}`] : [])).join('; ') || 'everyone';

function formOf(p: Policy): PolicyForm {
  return {
    name: p.name,
    scope: p.scope,
    priority: String(p.priority),
    active: p.active,
    realm: (p.conditions.realm ?? []).join(', '),
    client: (p.conditions.client ?? []).join(', '),
    group: (p.conditions.group ?? []).join(', '),
    user: (p.conditions.user ?? []).join(', '),
    actions: p.actions.map((a) => `${a.key}=${a.value}`).join('\n'),
  };
}

function formFrom(body: unknown): PolicyForm {
  return {
    name: field(body, 'name').trim(),
    scope: field(body, 'scope'),
    priority: field(body, 'priority').trim(),
    active: field(body, 'active') === 'on',
    realm: field(body, 'realm'),
    client: field(body, 'client'),
    group: field(body, 'group'),
    user: field(body, 'user'),
    actions: field(body, 'actions'),
  };
}

/** What is wrong with the form's shape before the core judges the policy (the core's messages speak of --action). */
class FormProblem extends Error {}

function inputOf(form: PolicyForm): PolicyInput {
  if (!/^\d{1,4}$/.test(form.priority)) throw new FormProblem(`Priority takes a whole number from 0 to 9999 (lower wins), not '${form.priority}'.`);
  const actions = form.actions
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line): [string, string] => {
      const eq = line.indexOf('=');
      if (eq <= 0) throw new FormProblem(`Each action line takes KEY=VALUE (e.g. otppin=userstore), not '${line}'.`);
      return [line.slice(0, eq).trim(), line.slice(eq + 1).trim()];
    });
  const list = (text: string) => text.split(',').map((v) => v.trim()).filter((v) => v !== '');
  return {
    name: form.name,
    scope: form.scope,
    actions,
    conditions: { realm: list(form.realm), client: list(form.client), group: list(form.group), user: list(form.user) },
    priority: Number(form.priority),
    active: form.active,
  };
}

/** Per scope, the actions it takes and what each means: the form's help. */
const ACTION_HELP = POLICY_SCOPES.map((scope) => ({
  scope,
  actions: (Object.keys(ACTIONS) as ActionKey[]).filter((k) => ACTIONS[k].scope === scope).map((k) => ({ key: k, help: ACTIONS[k].help })),
}));

const policyPath = (name: string) => `/ui/admin/policies/${encodeURIComponent(name)}`;

export function policyRoutes(ui: FastifyInstance, o: WebOptions): void {
  const admin = o.services.admin;

  /** The form page: a new policy (`editing` undefined) or a stored one. */
  const showForm = (request: FastifyRequest, reply: FastifyReply, form: PolicyForm, editing: string | undefined, refused?: { message: string; status: number }) =>
    renderPage(request, reply.code(refused?.status ?? 200), 'admin-policy', {
      title: editing ? `Policy ${editing}` : 'New policy',
      form,
      editing,
      action: editing ? policyPath(editing) : '/ui/admin/new-policy',
      scopes: POLICY_SCOPES,
      help: ACTION_HELP,
      notice: takeNotice(request),
      ...(refused ? { message: refused.message } : {}),
    });

  /** Saves the form; a new policy may not take the name of one that exists (that would replace it unseen). */
  const save = async (request: FastifyRequest, reply: FastifyReply, editing: string | undefined) => {
    const user = requireAdmin(request, reply);
    if (!user) return reply;
    const form = formFrom(request.body);
    const named = editing ? { ...form, name: editing } : form;
    try {
      if (!editing && (await admin.policies.list()).some((p) => p.name === named.name)) {
        return showForm(request, reply, named, editing, { status: 409, message: `A policy ${named.name} exists already: open it from the list to change it, or choose another name.` });
      }
      const { policy, created, warnings } = await admin.changes.setPolicy(actorOf(request, user), inputOf(named));
      const said = `Policy ${policy.name} ${created ? 'created' : 'saved'}.${warnings.length ? ` Warning: ${warnings.join('; ')}` : ''}`;
      return doneThen(request, reply, policyPath(policy.name), said);
    } catch (err) {
      if (err instanceof FormProblem) return showForm(request, reply, named, editing, { status: 400, message: err.message });
      return showForm(request, reply, named, editing, refusalOf(err));
    }
  };

  ui.get('/admin/policies', async (request, reply) => {
    if (!requireAdmin(request, reply)) return reply;
    const policies = (await admin.policies.list()).map((p) => ({
      ...p,
      path: policyPath(p.name),
      conditionsText: conditionsText(p),
      actionsText: p.actions.map((a) => `${a.key}=${a.value}`),
    }));
    return renderPage(request, reply, 'admin-policies', { title: 'Policies', policies, notice: takeNotice(request) });
  });

  ui.get('/admin/new-policy', async (request, reply) => {
    if (!requireAdmin(request, reply)) return reply;
    return showForm(request, reply, EMPTY, undefined);
  });
  ui.post('/admin/new-policy', { preHandler: ui.csrfProtection }, async (request, reply) => save(request, reply, undefined));

  ui.get('/admin/policies/:name', async (request, reply) => {
    if (!requireAdmin(request, reply)) return reply;
    const policy = await admin.policies.get((request.params as { name: string }).name);
    return showForm(request, reply, formOf(policy), policy.name);
  });
  ui.post('/admin/policies/:name', { preHandler: ui.csrfProtection }, async (request, reply) => {
    const { name } = request.params as { name: string };
    if (!requireAdmin(request, reply)) return reply;
    // Editing a policy that is gone (deleted in another window) is a 404, not a silent re-creation.
    await admin.policies.get(name);
    return save(request, reply, name);
  });

  ui.get('/admin/policies/:name/delete', async (request, reply) => {
    if (!requireAdmin(request, reply)) return reply;
    const policy = await admin.policies.get((request.params as { name: string }).name);
    return renderPage(request, reply, 'admin-confirm', {
      title: `Delete policy ${policy.name}?`,
      question: `Policy ${policy.name} (${policy.scope}, priority ${policy.priority}; ${conditionsText(policy)}) will be deleted on every node within a second. This cannot be undone.`,
      action: `${policyPath(policy.name)}/delete`,
      confirm: `Delete policy ${policy.name}`,
      back: policyPath(policy.name),
    });
  });
  ui.post('/admin/policies/:name/delete', { preHandler: ui.csrfProtection }, async (request, reply) => {
    const user = requireAdmin(request, reply);
    if (!user) return reply;
    const { name } = request.params as { name: string };
    await admin.changes.deletePolicy(actorOf(request, user), name);
    return doneThen(request, reply, '/ui/admin/policies', `Policy ${name} deleted.`);
  });
}
