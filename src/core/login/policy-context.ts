// Policies in a login. Once the login knows whom it is for (the candidate, and what the
// directory returned, groups included), the authentication policies matching {user, realm,
// client, groups} overlay the site settings for that login: every step reads ctx.settings.
// On an accept the authorization policies decide: `deny` turns it into a reject with the
// operator's message (the OTP was checked and is used up, so nothing is told before it), and
// `reply_attribute` adds attributes to the accept, tags filled here.
import { overlaySettings } from '../policies/overlay.js';
import type { PolicySubject } from '../policies/compiled.js';
import type { TemplateUser } from '../templates.js';
import type { LoginContext, LoginPorts } from './context.js';
import type { AuthRequest } from './request.js';
import type { Verdict } from './verdict.js';

export function subjectOf(request: Pick<AuthRequest, 'client'>, user: TemplateUser): PolicySubject {
  return {
    username: user.username,
    realm: user.realm,
    clientName: request.client.name,
    clientAddress: request.client.address,
    ...(user.groups ? { groups: user.groups } : {}),
  };
}

/** The login's context for `user`: the site settings with the matching authentication policies over them. */
export function contextFor(ports: Pick<LoginPorts, 'policies'>, base: Omit<LoginContext, 'user'>, user: TemplateUser): LoginContext {
  const compiled = ports.policies?.policies();
  if (!compiled || compiled.isEmpty('authentication')) return { ...base, user };
  const evaluation = compiled.evaluate('authentication', subjectOf(base.request, user));
  if (evaluation.policies.length === 0) return { ...base, user };
  // The debug trace says which policy set what, as `policy explain` does: the steps after it
  // read the overlaid value and name no source.
  const trace = base.request.trace;
  if (trace) for (const [key, decided] of evaluation.actions) trace(`policy ${decided.policy} sets ${key}=${decided.value}`);
  return {
    ...base,
    user: evaluation.group === undefined ? user : { ...user, group: evaluation.group },
    settings: overlaySettings(base.settings, evaluation),
    decidedBy: evaluation.policies,
  };
}

/** Some active policy has a group condition: a round that did not ask the directory must, for the user's groups. */
export function policiesNeedGroups(ports: Pick<LoginPorts, 'policies'>): boolean {
  const compiled = ports.policies?.policies();
  return compiled !== undefined && (compiled.needsGroups('authentication') || compiled.needsGroups('authorization'));
}

const REPLY_TAG = /\{(user|realm|group|serial|client)\}/g;

/** An accept as the authorization policies leave it: denied, or with their reply attributes. Any other verdict as it is. */
export function authorize(ports: Pick<LoginPorts, 'policies'>, ctx: LoginContext, verdict: Verdict): Verdict {
  const { result } = verdict;
  if (result.outcome !== 'accept') return verdict;
  const compiled = ports.policies?.policies();
  if (!compiled || compiled.isEmpty('authorization')) return verdict;
  const evaluation = compiled.evaluate('authorization', subjectOf(ctx.request, ctx.user));
  if (evaluation.policies.length === 0) return verdict;
  const deny = evaluation.actions.get('deny');
  if (deny) {
    return {
      ...verdict,
      result: { outcome: 'reject', message: deny.value },
      reason: `${verdict.reason}; then denied by policy ${deny.policy}`,
      policies: [deny.policy],
    };
  }
  const tags: Record<string, string> = {
    user: ctx.user.username,
    realm: ctx.user.realm,
    group: evaluation.group ?? ctx.user.group ?? '',
    serial: result.serial,
    client: ctx.request.client.name,
  };
  const replyAttributes = evaluation.replyAttributes.map((a) => a.value.replace(REPLY_TAG, (_m, tag: string) => tags[tag]!));
  return { ...verdict, result: { ...result, replyAttributes }, policies: evaluation.policies };
}

