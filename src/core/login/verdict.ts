// The end of every login: the request's writes and the audit entry of the outcome they
// reach are committed together, then the event is emitted and the result returned.
// Nothing is reported to the client before the store has it.
import { Messages } from '../messages.js';
import type { AuditAction, AuditEntry, Token } from '../model.js';
import type { PinCheckOptions, WriteResult, WriteStep } from '../ports.js';
import { redactPhone } from '../redact.js';
import type { LoginContext, LoginPorts } from './context.js';
import type { AuthRequest, AuthResult } from './request.js';
import { LOCKED, lockedVerdict } from './token-state.js';
import { authorize } from './policy-context.js';

/** An SMS sent, or tried, for this verdict: audited with the number redacted. */
export interface SmsAttempt {
  readonly gateway: string;
  readonly phone: string;
}

export interface Verdict {
  readonly result: AuthResult;
  readonly serials: readonly string[];
  readonly reason: string;
  readonly sms?: readonly SmsAttempt[];
  /** The authorization policies that decided this verdict (policy-context.ts authorize). */
  readonly policies?: readonly string[];
}

const distinct = (values: readonly string[]): string => [...new Set(values)].join(',');

function auditOf(ctx: LoginContext, verdict: Verdict): AuditEntry {
  const policies = [...(ctx.decidedBy ?? []), ...(verdict.policies ?? [])];
  // The audit row names the policies that decided the login, in its reason (a free-text field).
  const reason = policies.length === 0 ? verdict.reason : `${verdict.reason} [policies: ${[...new Set(policies)].join(', ')}]`;
  return auditEntry(ctx, { action: verdict.result.outcome, at: ctx.now, serials: verdict.serials, reason, sms: verdict.sms });
}

/** The audit row of something this login did: its decision, or work that followed it. */
export function auditEntry(
  ctx: LoginContext,
  what: { action: AuditAction; at: number; serials: readonly string[]; reason: string; sms?: readonly SmsAttempt[] | undefined },
): AuditEntry {
  return {
    at: what.at,
    action: what.action,
    username: ctx.user.username,
    realm: ctx.user.realm,
    client: ctx.request.client.name,
    clientAddress: ctx.request.client.address,
    serials: what.serials,
    reason: what.reason,
    gateway: distinct((what.sms ?? []).map((s) => s.gateway)),
    phone: distinct((what.sms ?? []).map((s) => redactPhone(s.phone))),
    nas: {
      callingStationId: ctx.request.nas?.callingStationId ?? '',
      ipAddress: ctx.request.nas?.ipAddress ?? '',
      identifier: ctx.request.nas?.identifier ?? '',
    },
  };
}

/**
 * Commits `steps` and returns the verdict of the outcome reached: `ok` when every step
 * applied, else the guard of the step that found nothing to change (a race was lost).
 */
export async function decide(
  ports: LoginPorts,
  ctx: LoginContext,
  steps: readonly WriteStep[],
  verdicts: { readonly ok: Verdict } & Readonly<Record<string, Verdict>>,
): Promise<AuthResult> {
  return (await commitVerdict(ports, ctx, steps, verdicts)).result;
}

/** decide, also telling what the store did (the tokens its failures locked). */
async function commitVerdict(
  ports: LoginPorts,
  ctx: LoginContext,
  steps: readonly WriteStep[],
  given: { readonly ok: Verdict } & Readonly<Record<string, Verdict>>,
): Promise<{ result: AuthResult; written: WriteResult }> {
  // An accept passes the authorization policies first; the writes (the OTP used up) stay the same.
  const verdicts: Record<string, Verdict> = {};
  for (const [outcome, verdict] of Object.entries(given)) verdicts[outcome] = authorize(ports, ctx, verdict);
  const audit: Record<string, AuditEntry> = {};
  for (const [outcome, verdict] of Object.entries(verdicts)) audit[outcome] = auditOf(ctx, verdict);
  const written = await ports.store.commit({ steps, audit, ...deadlineOf(ctx) });
  const verdict = verdicts[written.outcome] ?? verdicts.ok!;
  const action = verdict.result.outcome;
  ctx.request.trace?.(`verdict: ${action} because ${verdict.reason}${verdict.serials.length ? `; tokens ${verdict.serials.join(', ')}` : ''}${verdict.sms?.length ? `; SMS through ${verdict.sms.map((s) => `gateway ${s.gateway} to ${redactPhone(s.phone)}`).join(', ')}` : ''}; message '${verdict.result.message}'`);
  const name = ctx.request.username;
  // A rejected first factor marks the login name, existing or not, so that a flood of guesses
  // (and only it) waits behind everyone else for the PIN hash, without telling which names
  // exist. An answer to a State does not: it cost no PIN hash, and anyone can send a State
  // in anyone's name; marking would let them put the name's owner behind a flood.
  if (action === 'accept') ports.recentFailures.clear(name);
  else if (action === 'reject' && ctx.request.transactionId === undefined) ports.recentFailures.record(name, ctx.now);
  ports.events.emit({
    type: 'authentication',
    action,
    username: ctx.user.username,
    realm: ctx.user.realm,
    client: ctx.request.client.name,
    callingStationId: ctx.request.nas?.callingStationId ?? '',
    serials: verdict.serials,
    reason: verdict.reason,
  });
  return { result: verdict.result, written };
}

/**
 * A State we never issued, or one past its expiry: refused at once, without the store (no
 * read, no audit row: a spray of random States must cost what a bad packet costs), counted
 * and logged by the events port. The name is not marked suspect: anyone can send a State
 * in anyone's name, and that must not put the name's real owner behind a flood.
 */
export function refuseState(ports: LoginPorts, request: AuthRequest, why: 'forged' | 'expired'): AuthResult {
  ports.events.emit({ type: 'state_refused', why, username: request.username, client: request.client.name });
  return { outcome: 'reject', message: Messages.invalidTransaction };
}

export function reject(
  ports: LoginPorts,
  ctx: LoginContext,
  message: string,
  serials: readonly string[],
  reason: string,
  steps: readonly WriteStep[] = [],
): Promise<AuthResult> {
  return decide(ports, ctx, steps, { ok: { result: { outcome: 'reject', message }, serials, reason } });
}

/**
 * A reject that counts a failure on `tokens` (after `steps`), in the store only below maxfail.
 * When every token was at its maxfail by the time the unit ran (concurrent guesses locked it),
 * nothing is counted and the answer is "Failcounter exceeded". A token this failure locks is
 * told as a token_locked event once, by the request whose failure the store counted last.
 */
export async function rejectWithFailure(
  ports: LoginPorts,
  ctx: LoginContext,
  message: string,
  tokens: readonly Token[],
  reason: string,
  steps: readonly WriteStep[] = [],
): Promise<AuthResult> {
  const serials = serialsOf(tokens);
  const failure: WriteStep = serials.length > 0 ? { kind: 'recordFailure', serials, at: ctx.now, guard: LOCKED } : { kind: 'recordFailure', serials, at: ctx.now };
  const { result, written } = await commitVerdict(ports, ctx, [...steps, failure], {
    ok: { result: { outcome: 'reject', message }, serials, reason },
    [LOCKED]: lockedVerdict(tokens),
  });
  for (const token of tokens) {
    if (token.active && written.locked.includes(token.serial)) {
      ports.events.emit({ type: 'token_locked', serial: token.serial, username: token.username, realm: token.realm, client: ctx.request.client.name });
    }
  }
  return result;
}

export function deadlineOf(ctx: Pick<LoginContext, 'request'>): { deadline?: number } {
  return ctx.request.deadline === undefined ? {} : { deadline: ctx.request.deadline };
}

/** How a PIN check of this login waits in the queue: its priority, its NAS and login name (whose turns it takes), its deadline. */
export function pinCheckOf(ctx: Pick<LoginContext, 'request' | 'priority'>): PinCheckOptions {
  return { priority: ctx.priority, source: ctx.request.client.name, subject: ctx.request.username, ...deadlineOf(ctx) };
}

export const serialsOf = (tokens: ReadonlyArray<{ serial: string }>): string[] => tokens.map((t) => t.serial);
