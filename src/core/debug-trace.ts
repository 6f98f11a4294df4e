// The debug trace (`serve --debug`, SIGUSR1, POST /system/debug for one user): each traced
// request's decisions in plain lines, as FreeRADIUS's `radiusd -X` prints them. The fronts ask
// for a tracer per request and pass it to the core in AuthRequest.trace; the core calls it
// at its decision points with plain facts (never a PIN, OTP or secret). A request that is not
// traced gets no tracer, and the core's `trace?.(...)` calls then build no string at all.

/** Where the lines go: the request's number (to tell interleaved requests apart) and the line. */
export type TraceWriter = (request: number, line: string) => void;

/** Longest a per-user trace may run: a forgotten one ends by itself. */
export const MAX_USER_TRACE_MS = 24 * 3_600_000;

export class DebugSwitch {
  private all: boolean;
  /** Login names (lower case) traced until the epoch ms they map to. */
  private readonly users = new Map<string, number>();
  private sequence = 0;

  constructor(
    private readonly write: TraceWriter,
    options: { readonly all?: boolean; readonly now?: () => number } = {},
  ) {
    this.all = options.all ?? false;
    this.now = options.now ?? Date.now;
  }

  private readonly now: () => number;

  /** SIGUSR1: every request traced, or none again; resolves to the new state. */
  toggle(): boolean {
    this.all = !this.all;
    return this.all;
  }

  /** Traces the requests of this login name (also as NAME@REALM or REALM\NAME) for `ms`; returns until when. */
  traceUser(name: string, ms: number): number {
    const until = this.now() + Math.min(ms, MAX_USER_TRACE_MS);
    this.users.set(name.toLowerCase(), until);
    return until;
  }

  /**
   * A tracer for one request of this login name, or undefined when nothing traces it: with the
   * trace off this costs one comparison (and one map lookup while a user is traced).
   */
  tracer(loginName: string): ((line: string) => void) | undefined {
    if (!this.all && (this.users.size === 0 || !this.userTraced(loginName))) return undefined;
    const request = ++this.sequence;
    return (line) => this.write(request, line);
  }

  private userTraced(loginName: string): boolean {
    const now = this.now();
    const name = loginName.toLowerCase();
    const at = name.lastIndexOf('@');
    const slash = name.indexOf('\\');
    for (const candidate of [name, at > 0 ? name.slice(0, at) : '', slash >= 0 ? name.slice(slash + 1) : '']) {
      const until = candidate === '' ? undefined : this.users.get(candidate);
      if (until === undefined) continue;
      if (until > now) return true;
      this.users.delete(candidate);
    }
    return false;
  }
}

// The core's trace lines, built only when a request is traced (inside `trace?.(...)`).

/** `alice@corp, alice@corp (realm '')`: the users a login name may mean. */
export function usersText(users: ReadonlyArray<{ readonly username: string; readonly realm: string }>): string {
  return users.length === 0 ? 'nobody' : users.map((u) => `${u.username} (realm '${u.realm}')`).join(', ');
}

/** Each token with what decides whether it may log in: active, verified, fail counter. */
export function tokensText(
  tokens: ReadonlyArray<{ readonly serial: string; readonly active: boolean; readonly verified: boolean; readonly failcount: number; readonly maxfail: number }>,
): string {
  return tokens.map((t) => `${t.serial} (${t.active ? 'active' : 'disabled'}${t.verified ? '' : ', unverified'}, fail counter ${t.failcount}/${t.maxfail})`).join(', ');
}
