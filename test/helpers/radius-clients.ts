// Drives third-party RADIUS clients: FreeRADIUS's radclient and python3-pyrad.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './fs.js';

const execFileAsync = promisify(execFile);

export interface RadiusReply {
  /** 'Access-Accept' | 'Access-Reject' | 'Access-Challenge' | 'timeout' */
  code: string;
  attributes: Record<string, string[]>;
  /** Attribute names (radclient) or type numbers (pyrad) in the order the reply carried them. */
  order: string[];
  output: string;
}

export interface Target {
  host: string;
  port: number;
  secret: string;
}

function unquote(value: string): string {
  return value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

/** Sends one Access-Request with radclient; `attributes` are written as radclient input lines. */
export async function radclient(
  target: Target,
  attributes: Record<string, string>,
  options: { messageAuthenticator?: boolean; timeout?: number; retries?: number } = {},
): Promise<RadiusReply> {
  const lines = Object.entries(attributes).map(([k, v]) => `${k} = ${v}`);
  if (options.messageAuthenticator !== false) lines.push('Message-Authenticator = 0x00');
  const address = target.host.includes(':') ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
  // The whole wait radclient may take (timeout × tries), and a margin, before it is killed.
  const patience = Math.max(15_000, (options.timeout ?? 4) * (options.retries ?? 1) * 1000 + 5_000);
  const child = execFileAsync('radclient', ['-x', '-r', String(options.retries ?? 1), '-t', String(options.timeout ?? 4), address, 'auth', target.secret], { timeout: patience });
  child.child.stdin?.end(`${lines.join('\n')}\n`);
  let output: string;
  try {
    output = (await child).stdout;
  } catch (err) {
    output = `${(err as { stdout?: string }).stdout ?? ''}${(err as { stderr?: string }).stderr ?? ''}`;
  }
  const received = /Received (Access-\w+) Id/.exec(output);
  const attrs: Record<string, string[]> = {};
  const order: string[] = [];
  if (received) {
    const after = output.slice(output.indexOf(received[0]));
    for (const line of after.split('\n').slice(1)) {
      const m = /^\s+([\w:-]+) = (.*)$/.exec(line);
      if (!m) break;
      const [, name = '', value = ''] = m;
      (attrs[name] ??= []).push(unquote(value));
      order.push(name);
    }
  }
  return { code: received?.[1] ?? 'timeout', attributes: attrs, order, output };
}

/** Sends one Access-Request with pyrad (its own packet code and authenticator checks). */
export async function pyrad(
  target: Target,
  request: { user: string; password: string; state?: string },
): Promise<RadiusReply> {
  const script = path.join(ROOT, 'test/peers/pyrad_auth.py');
  const { stdout } = await execFileAsync('/usr/bin/python3', [script], {
    env: { ...process.env, PYRAD_REQUEST: JSON.stringify({ ...target, ...request }) },
    timeout: 15_000,
  });
  const parsed = JSON.parse(stdout) as { code: string; attributes: Record<string, string[]>; order: string[] };
  return { ...parsed, output: stdout };
}
