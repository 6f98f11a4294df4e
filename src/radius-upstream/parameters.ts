// The parameters of a RADIUS server that logins are forwarded to, declared beside the client
// that uses them, as the gateway modules declare theirs (src/gateways/declare.ts): name,
// whether required, default, whether secret, and one line of help. The CLI's options, the
// checks of `radius_server set` and `radius_server show`'s censoring all read this one table.
export { RADIUS_SERVER_NAME } from '../core/settings.js';

export interface RadiusServerParameter {
  readonly help: string;
  readonly required?: boolean;
  /** What the client uses when the option is left out. */
  readonly default?: string;
  /** Sealed at rest and shown as __CENSORED__; never taken from the command line. */
  readonly secret?: boolean;
}

export const RADIUS_SERVER_PARAMETERS = {
  address: { required: true, help: 'HOST:PORT of the RADIUS server ([v6]:PORT for IPv6; port 1812 when left out)' },
  secret: { required: true, secret: true, help: 'its shared secret, read from a file or standard input (--secret-file F, - for stdin)' },
  timeout: { default: '3', help: 'seconds before the same request is sent again; tries end when the NAS stops waiting' },
  require_message_authenticator: {
    default: 'yes',
    help: 'refuse answers without a valid Message-Authenticator (BlastRADIUS); no only for an old server that cannot send one',
  },
  description: { default: '', help: 'free text' },
} as const satisfies Readonly<Record<string, RadiusServerParameter>>;

export const DEFAULT_RADIUS_PORT = 1812;
export const MAX_TIMEOUT_SECONDS = 60;

/** HOST:PORT, [v6]:PORT, or a host alone (port 1812); undefined when it is none of these. */
export function parseAddress(value: string): { host: string; port: number } | undefined {
  const bracketed = /^\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?$/.exec(value);
  const plain = /^([A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(value);
  const m = bracketed ?? plain;
  if (!m) return undefined;
  const port = m[2] === undefined ? DEFAULT_RADIUS_PORT : Number(m[2]);
  if (!(port >= 1 && port <= 65535)) return undefined;
  return { host: m[1]!, port };
}

/** The address as `radius_server show` prints it. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** What is wrong with a timeout, or undefined. */
export function timeoutProblem(seconds: number): string | undefined {
  return Number.isFinite(seconds) && seconds > 0 && seconds <= MAX_TIMEOUT_SECONDS ? undefined : `--timeout must be seconds, more than 0 and at most ${MAX_TIMEOUT_SECONDS}`;
}
