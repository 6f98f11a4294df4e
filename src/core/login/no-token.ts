// A login name for which nobody has a token. Normally a reject; privacyIDEA's three
// authentication policies, all off by default, open a door here (each logs a warning at
// start while on, src/main/open-doors.ts):
// - passOnNoToken: a user the directory knows, without a token, is let in unchecked;
// - passthru: such a user logs in with the directory password (a bind as the user);
//   passthru=radius:NAME forwards any login name without a token to that RADIUS server
//   (./forward.ts), whether a user store knows the name or not: the server decides;
// - passOnNoUser: a name no user store knows is let in unchecked.
// A directory that cannot be asked throws (DirectoryUnavailable): an outage is never "no user".
import { Messages } from '../messages.js';
import type { DirectoryUser, UserRef } from '../ports.js';
import { passthruOf } from '../settings.js';
import { forwardLogin } from './forward.js';
import type { LoginContext, LoginPorts } from './context.js';
import type { AuthResult } from './request.js';
import { decide, reject } from './verdict.js';
import { contextFor } from './policy-context.js';

/** Undefined when no policy applies: the caller rejects as before (no token). */
export async function passWithoutToken(
  ports: LoginPorts,
  base: Omit<LoginContext, 'user'>,
  candidates: readonly UserRef[],
): Promise<AuthResult | undefined> {
  const open = (s: typeof base.settings) => passthruOf(s.passthru).kind !== 'off' || s.passOnNoToken || s.passOnNoUser;
  const policies = !(ports.policies?.policies().isEmpty('authentication') ?? true);
  // Without authentication policies the site settings decide before the directory is asked.
  if (!open(base.settings) && !policies) return undefined;
  const site = passthruOf(base.settings.passthru);
  // Forwarding asks no directory: only passOnNoToken, which goes first, or a policy needs to know the user.
  if (!policies && site.kind === 'radius' && !base.settings.passOnNoToken) {
    return forwardLogin(ports, base, site.server, candidates[0] ?? { username: base.request.username, realm: '' });
  }
  const known = await firstKnown(ports, candidates);
  if (known) {
    const ctx = contextFor(ports, base, known);
    const passthru = passthruOf(ctx.settings.passthru);
    if (ctx.settings.passOnNoToken) return accept(ports, ctx, "user has no token, accepted due to 'passOnNoToken'");
    if (passthru.kind === 'radius') return forwardLogin(ports, ctx, passthru.server, known);
    if (passthru.kind === 'directory') {
      if (await ports.directory.checkPassword(known.username, known.realm, base.request.password)) {
        return accept(ports, ctx, "user has no token, directory password accepted due to 'passthru'");
      }
      return reject(ports, ctx, Messages.wrongPassword, [], "passthru: wrong directory password");
    }
    return undefined;
  }
  // Nobody is known: only realm and client conditions can match the name (as its first candidate).
  const nobody = { username: base.request.username, realm: '' };
  const ctx = contextFor(ports, base, candidates[0] ?? nobody);
  const passthru = passthruOf(ctx.settings.passthru);
  if (passthru.kind === 'radius') return forwardLogin(ports, ctx, passthru.server, candidates[0] ?? nobody);
  if (ctx.settings.passOnNoUser) {
    return accept(ports, { ...ctx, user: nobody }, "user does not exist, accepted due to 'passOnNoUser'");
  }
  return undefined;
}

export async function firstKnown(ports: LoginPorts, candidates: readonly UserRef[]): Promise<DirectoryUser | undefined> {
  for (const c of candidates) {
    const user = await ports.directory.lookup(c.username, c.realm);
    if (user) return user;
  }
  return undefined;
}

function accept(ports: LoginPorts, ctx: LoginContext, reason: string): Promise<AuthResult> {
  return decide(ports, ctx, [], {
    ok: {
      result: { outcome: 'accept', message: Messages.accepted, serial: '', username: ctx.user.username, realm: ctx.user.realm },
      serials: [],
      reason,
    },
  });
}
