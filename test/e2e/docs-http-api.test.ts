// The HTTP examples of docs/http-api.md and docs/operations.md, run as the pages write them
// (read from the pages with docsExample, so a changed example runs changed), in page order,
// against `npm start` on the checkout's demo configuration (test/helpers/checkout-sandbox.ts).
// The setup a reader has done before (README: a gateway, alice's token with PIN 1234) is
// made first, with the RFC 4226 test key so that the pages' OTPs are the right ones.
import { describe, expect, it } from 'vitest';
import { inCheckoutSandbox, type SandboxRun } from '../helpers/checkout-sandbox.js';
import { docsExample } from '../helpers/docs-blocks.js';
import { RFC4226_KEY } from '../helpers/fs.js';
import { VERSION } from '../../src/version.js';

const BLOCKS = [
  'validate-pin', 'validate-otp', 'radiuscheck', 'triggerchallenge', 'readyz', 'api-keys', 'admin-env', 'token-init',
  'token-list', 'token-change', 'smsgateway', 'system', 'audit', 'session', 'metrics',
] as const;

const SETUP = String.raw`set -eu -o pipefail
sms-otp-radiusd() { node "$CHECKOUT/bin/sms-otp-radiusd.js" "$@"; }   # the command as installed
sms-otp-radiusd gateway set logfile --module script --option SCRIPT=log-sms.sh --option BACKGROUND=wait >/dev/null
sms-otp-radiusd setting set sms.identifier logfile >/dev/null
echo 1234 | sms-otp-radiusd token enroll --user alice --phone +491701234567 --pin - --otpkey ${RFC4226_KEY} --serial PISM00000001 >/dev/null
ADMIN_KEY=$(sms-otp-radiusd apikey create --role admin)
SMS_PASSWORD=the-gateway-password
sleep 1
`;

/** What each block printed, by block (curl ends no answer with a newline: answers run together). */
function outputs(run: SandboxRun): Map<string, string> {
  const byBlock = new Map<string, string>();
  let current = '';
  for (const line of run.stdout.split('\n')) {
    const marker = /^=== (\S+)$/.exec(line);
    if (marker) byBlock.set((current = marker[1]!), '');
    else byBlock.set(current, `${byBlock.get(current) ?? ''}${line}\n`);
  }
  return byBlock;
}

/** The JSON objects in a text, in order, and the lines outside them. */
function split(text: string): { values: any[]; lines: string[] } {
  const values: any[] = [];
  let rest = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '{') {
      rest += text[i];
      continue;
    }
    let depth = 0;
    let inString = false;
    let j = i;
    for (; j < text.length; j++) {
      const c = text[j];
      if (inString) {
        if (c === '\\') j++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) break;
    }
    values.push(JSON.parse(text.slice(i, j + 1)));
    rest += '\n';
    i = j;
  }
  return { values, lines: rest.split('\n').map((l) => l.trim()).filter(Boolean) };
}

/** The keys of a JSON value, all the way down (arrays by their first element): the answer's shape. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length ? [shape(value[0])] : [];
  if (value && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((k) => [k, shape((value as Record<string, unknown>)[k])]));
  return value === null ? 'null' : typeof value;
}


describe('the HTTP examples of the manual, run as written', () => {
  it('answer as the pages say', async () => {
    const script = SETUP + BLOCKS.map((id) => `echo '=== ${id}'\n${docsExample(id)}\necho\n`).join('');
    const run = await inCheckoutSandbox('npm start', script, 150_000);
    const out = outputs(run);
    const values = (id: string) => split(out.get(id) ?? '').values;
    const lines = (id: string) => split(out.get(id) ?? '').lines;

    const [challenge] = values('validate-pin');
    expect(shape(challenge)).toEqual(shape(JSON.parse(docsExample('validate-challenge-answer'))));
    expect(challenge.result).toEqual({ status: true, value: false, authentication: 'CHALLENGE' });

    const [accept, pinOtp, wrongPin] = values('validate-otp');
    expect(accept.detail).toMatchObject({ message: 'Access granted', serial: 'PISM00000001' });
    expect(pinOtp.result.authentication).toBe('ACCEPT');
    expect(wrongPin).toMatchObject({ result: { authentication: 'REJECT' }, detail: { message: 'wrong otp pin' } });
    expect(lines('radiuscheck')).toEqual(['204']);
    expect(values('triggerchallenge')[0].result).toEqual({ status: true, value: 1, authentication: 'CHALLENGE' });
    expect(values('readyz')).toEqual([{ status: 'ready' }]);

    expect(lines('api-keys').some((l) => /validate .*PAM on the jump hosts/.test(l))).toBe(true);
    expect(values('api-keys').map((v) => v.result.status)).toEqual([true]);

    expect(values('token-init')[0].detail.serial).toBe('PISM3F0A9C21');
    expect(values('token-list')[0].result.value.tokens.map((t: { serial: string }) => t.serial)).toContain('PISM3F0A9C21');
    expect(values('token-change').map((v) => v.result)).toEqual(Array(5).fill({ status: true, value: 1 }));
    expect(values('smsgateway').map((v) => v.result.status)).toEqual([true, true, true, true]);
    const [, setConfig] = values('system');
    expect(setConfig.result.value).toEqual({ 'sms.resend_interval': 'insert', 'sms.limit.user': 'insert' });
    expect(values('audit')[0].result.value.auditdata.length).toBeGreaterThan(0);
    expect(values('session')[0].result.status).toBe(true);

    const metrics = (out.get('metrics') ?? '').split('\n').map((l) => l.trim()); // Prometheus text: braces, but no JSON
    expect(metrics).toContain(`sms_otp_build_info{version="${VERSION}"} 1`);
    expect(metrics).toContain('HTTP/1.1 200 OK');

    // The start line of docs/operations.md names what the real one names.
    const started = JSON.parse(run.daemonLog.split('\n').find((l) => l.includes('"sms-otp-radiusd started"'))!);
    expect(Object.keys(started)).toEqual(expect.arrayContaining(Object.keys(JSON.parse(docsExample('log-start-line')))));
  }, 180_000);
});
