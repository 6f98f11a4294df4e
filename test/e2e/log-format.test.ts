// log.format: pretty, for people reading the log: the daemon's lines with the local time,
// level and message (pino-pretty, in the process), its fields after them on the same line;
// a wrong value refused naming the key.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { docsExample } from '../helpers/docs-blocks.js';
import { radclient } from '../helpers/radius-clients.js';

const execFileAsync = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LINE = /^\[(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.\d{3} ([+-]\d{4})\] (INFO|WARN|ERROR): (.*)$/;

describe('log.format', { timeout: 120_000 }, () => {
  let daemon: TestDaemon | undefined;
  afterAll(async () => {
    await daemon?.stop();
  });

  const withLog = (d: TestDaemon, log: string) =>
    writeFileSync(d.config, readFileSync(d.config, 'utf8').replace('log: { level: info }', `log: ${log}`));

  it('pretty: human lines in local time, fields on the same line, no JSON line', async () => {
    daemon = await createDaemon({ radius: { reject_delay: '0' } });
    withLog(daemon, '{ level: info, format: pretty }');
    // The daemon inherits the zone: Berlin is UTC+1 in winter, UTC+2 in summer.
    process.env.TZ = 'Europe/Berlin';
    await daemon.start();
    const rejected = await radclient(daemon, { 'User-Name': '"nobody"', 'User-Password': '"secret-pin-123456"' });
    expect(rejected.code).toBe('Access-Reject');
    const logs = daemon.logs();
    const started = logs.split('\n').find((l) => l.includes('sms-otp-radiusd started'));
    const m = LINE.exec(started ?? '');
    expect(m, logs).not.toBeNull();
    const [, year, month, day, hour, minute, , offset] = m!;
    expect(offset).toMatch(/^\+0[12]00$/);
    // The time shown is now, in Berlin's time.
    const shown = Date.parse(`${year}-${month}-${day}T${hour}:${minute}:00${offset!.slice(0, 3)}:${offset!.slice(3)}`);
    expect(Math.abs(Date.now() - shown)).toBeLessThan(5 * 60_000);
    expect(m![9]).toMatch(/^sms-otp-radiusd started \{"version":/);
    // Every line is a human one: no JSON line, and no stack.
    for (const line of logs.trim().split('\n')) expect(line, logs).toMatch(LINE);
    expect(logs).toMatch(/\] INFO: authentication \{"user":"nobody",.*"action":"reject","reason":"no token"\}\n/);
    expect(logs).not.toContain('secret-pin-123456');
    // docs/operations-notes.md shows these lines: each is one of the log's, its time, port and the fields at `...` aside.
    for (const sample of docsExample('log-pretty').split('\n').filter(Boolean)) {
      const pattern = sample
        .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        .replace(/^\\\[[^\]]*\]/, '\\[[-\\d]+ [:.\\d]+ [+-]\\d{4}\\]')
        .replace(/:1812\b/g, ':\\d+')
        .replace(/,\\\.\\\.\\\./g, ',.*');
      expect(logs, sample).toMatch(new RegExp(`^${pattern}$`, 'm'));
    }
  });

  it('pretty keeps the redaction: a password passed to the log is [redacted] in the human line too', async () => {
    const script = "const { createLogger } = await import('./dist/main/runtime.js'); createLogger('info', 'stdout', 'pretty').info({ user: 'anna', password: 'hunter2-pw', nested: { pin: '4711' } }, 'redaction check');";
    const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT });
    expect(stdout).toMatch(/\] INFO: redaction check \{"user":"anna","password":"\[redacted\]","nested":\{"pin":"\[redacted\]"\}\}\n$/);
    expect(stdout).not.toMatch(/hunter2|4711/);
  });

  it('a format that does not exist is refused, naming the key and the choices', async () => {
    const other = await createDaemon();
    withLog(other, '{ level: info, format: fancy }');
    const r = await other.cli('check');
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain('- log.format: Invalid option: expected one of "json"|"pretty"');
  });
});
