// Drives the HTTP front with clients that are not ours: curl (as privacyIDEA's PAM module
// sends its form POSTs) and Python's urllib (test/peers/privacyidea_client.py, as its
// FreeRADIUS plugin does).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './fs.js';

const execFileAsync = promisify(execFile);

export interface HttpAnswer {
  readonly status: number;
  readonly text: string;
  /** The body parsed as JSON (undefined when it is not). */
  readonly json: PiResponse | undefined;
}

/** privacyIDEA's answer, as far as the tests read it. */
export interface PiResponse {
  jsonrpc: string;
  id: number;
  version: string;
  time: number;
  result: { status: boolean; value?: boolean | number; authentication?: string; error?: { code: number; message: string; name?: string } };
  detail: null | {
    message?: string;
    messages?: string[];
    serial?: string;
    type?: string;
    transaction_id?: string;
    transaction_ids?: string[];
    preferred_client_mode?: string;
    multi_challenge?: Array<{ transaction_id: string; serial: string; type: string; client_mode: string; message: string; attributes: unknown }>;
  };
}

function answer(status: number, text: string): HttpAnswer {
  let json: PiResponse | undefined;
  try {
    json = JSON.parse(text) as PiResponse;
  } catch {
    json = undefined;
  }
  return { status, text, json };
}

/**
 * curl with arguments of the test's choosing (--data-urlencode fields, -H headers, -G ...);
 * the status is read from curl's -w, after the body.
 */
export async function curl(url: string, args: string[]): Promise<HttpAnswer> {
  const { stdout } = await execFileAsync('curl', ['-sS', '--max-time', '20', '-w', '\n%{http_code}', ...args, url], { maxBuffer: 1 << 20 });
  const cut = stdout.lastIndexOf('\n');
  return answer(Number(stdout.slice(cut + 1)), stdout.slice(0, cut));
}

/** A form POST as privacyIDEA's PAM module sends it (libcurl, application/x-www-form-urlencoded). */
export function pamModule(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  const args = ['-A', 'privacyIDEA-PAM/1.0'];
  for (const [k, v] of Object.entries(fields)) args.push('--data-urlencode', `${k}=${v}`);
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  return curl(url, args);
}

/** A POST from Python's urllib as privacyIDEA's FreeRADIUS plugin sends it (or a JSON body with `json`). */
export async function freeradiusPlugin(
  url: string,
  fields: Record<string, string>,
  options: { json?: boolean; headers?: Record<string, string> } = {},
): Promise<HttpAnswer> {
  const args = [path.join(ROOT, 'test/peers/privacyidea_client.py'), url];
  if (options.json) args.push('--json');
  for (const [k, v] of Object.entries(options.headers ?? {})) args.push(`--header=${k}:${v}`);
  for (const [k, v] of Object.entries(fields)) args.push(`${k}=${v}`);
  const { stdout } = await execFileAsync('/usr/bin/python3', args, { timeout: 30_000 });
  const { status, body } = JSON.parse(stdout) as { status: number; body: string };
  return answer(status, body);
}
