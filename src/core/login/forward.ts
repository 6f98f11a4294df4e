// passthru=radius:NAME: a login name without a token is forwarded to another RADIUS server
// (an organisation's old OTP server, while its users move over one by one), and that
// server's Accept, Reject or Challenge is the answer. A challenge gets our own State (the
// upstream's sealed, UpstreamRadius.sealState), so the NAS's answer comes back here and is
// forwarded with the upstream's State; such a State never reaches the store's challenges.
// A server that does not answer in time throws UpstreamUnavailable: the login fails closed,
// as for a store that is down.
import { UpstreamUnavailable } from '../errors.js';
import { Messages } from '../messages.js';
import type { UpstreamAnswer, UpstreamRadius, UserRef } from '../ports.js';
import type { LoginContext, LoginPorts } from './context.js';
import type { AuthResult } from './request.js';
import { decide, reject } from './verdict.js';

/** How our States for upstream challenges begin; our own transaction ids are digits only. */
export const UPSTREAM_STATE_PREFIX = 'fwd:';

export function isUpstreamState(transactionId: string): boolean {
  return transactionId.startsWith(UPSTREAM_STATE_PREFIX);
}

const via = (server: string) => `forwarded to radius:${server}`;
/** What User-Password carries at most (RFC 2865 §5.2); a longer one (over HTTP) is never sent. */
const MAX_PASSWORD_BYTES = 128;

function upstreamOf(ports: LoginPorts) {
  if (!ports.upstream) throw new UpstreamUnavailable('passthru forwards to a RADIUS server, but this node has no RADIUS client for it');
  return ports.upstream;
}

/** A first factor forwarded: `user` is whom the audit names (the login name's first candidate). */
export async function forwardLogin(ports: LoginPorts, base: Omit<LoginContext, 'user'>, server: string, user: UserRef): Promise<AuthResult> {
  const { request } = base;
  const upstream = upstreamOf(ports);
  const ctx: LoginContext = { ...base, user };
  if (Buffer.byteLength(request.password, 'utf8') > MAX_PASSWORD_BYTES) return tooLong(ports, ctx, server);
  const answer = await upstream.forward(server, { username: request.username, password: request.password, ...(request.nas ? { nas: request.nas } : {}) }, request.deadline);
  return relay(ports, upstream, ctx, server, answer);
}

/** The NAS's answer to an upstream challenge (its State one of ours): forwarded with the upstream's State. */
export async function answerUpstream(ports: LoginPorts, base: Omit<LoginContext, 'user'>, transactionId: string, user: UserRef): Promise<AuthResult> {
  const { request } = base;
  const ctx: LoginContext = { ...base, user };
  const upstream = upstreamOf(ports);
  const opened = upstream.openState(transactionId, request.username, base.now);
  // Forged, expired, or made for another login name: nobody is asked.
  if (!opened) return reject(ports, ctx, Messages.invalidTransaction, [], 'upstream State forged, expired or for another user: not forwarded');
  if (Buffer.byteLength(request.password, 'utf8') > MAX_PASSWORD_BYTES) return tooLong(ports, ctx, opened.server);
  const answer = await upstream.forward(
    opened.server,
    { username: request.username, password: request.password, state: opened.state, ...(request.nas ? { nas: request.nas } : {}) },
    request.deadline,
  );
  return relay(ports, upstream, ctx, opened.server, answer);
}

function tooLong(ports: LoginPorts, ctx: LoginContext, server: string): Promise<AuthResult> {
  return reject(ports, ctx, Messages.wrongPassword, [], `password longer than RADIUS carries (${MAX_PASSWORD_BYTES} bytes): not ${via(server)}`);
}

/** The upstream's answer as ours, audited with the server's name. */
async function relay(ports: LoginPorts, upstream: UpstreamRadius, ctx: LoginContext, server: string, answer: UpstreamAnswer): Promise<AuthResult> {
  const reason = `${via(server)}: ${answer.outcome}`;
  if (answer.outcome === 'reject') return reject(ports, ctx, answer.message || Messages.wrongPassword, [], reason);
  if (answer.outcome === 'accept') {
    const { username, realm } = ctx.user;
    const result: AuthResult = { outcome: 'accept', message: answer.message || Messages.accepted, serial: '', username, realm, attributes: answer.attributes };
    return decide(ports, ctx, [], { ok: { result, serials: [], reason } });
  }
  const seconds = answer.sessionTimeout || ctx.settings['sms.providerTimeout'];
  const expiresAt = ctx.now + seconds * 1000;
  const state = answer.state && upstream.sealState(server, answer.state, ctx.request.username, expiresAt);
  if (state === undefined) {
    // A challenge that could never be answered through us: said, and refused.
    return reject(ports, ctx, answer.message || Messages.wrongPassword, [], `${via(server)}: challenge without a State we can carry (none, or longer than RADIUS allows)`);
  }
  const result: AuthResult = { outcome: 'challenge', message: answer.message, transactionId: state, expiresAt, serials: [] };
  return decide(ports, ctx, [], { ok: { result, serials: [], reason } });
}
