// SIGHUP (systemctl reload) against the running daemon: RADIUS clients, their secrets and the
// log level change without a restart; a broken file is reported and the running one kept.
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { radclient } from '../helpers/radius-clients.js';

describe('SIGHUP reloads the configuration file', () => {
  let daemon: TestDaemon;
  beforeAll(async () => {
    daemon = await createDaemon({ secret: 'old-secret-123' });
    await daemon.start();
  });
  afterAll(() => daemon.stop());

  const statusOf = (secret: string) =>
    radclient({ host: daemon.host, port: daemon.port, secret }, { 'User-Name': '"nobody"', 'User-Password': '"x"' }, { timeout: 3, retries: 1 });

  async function reloadAndWait(marker: RegExp): Promise<string> {
    const before = (daemon.logs().match(new RegExp(marker, 'g')) ?? []).length;
    daemon.process()!.signal('SIGHUP');
    const until = Date.now() + 5000;
    while ((daemon.logs().match(new RegExp(marker, 'g')) ?? []).length === before) {
      if (Date.now() > until) throw new Error(`no ${marker} in the log after SIGHUP:\n${daemon.logs()}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    return daemon.logs();
  }

  it('takes a new client secret and log level, warns about keys that need a restart, and keeps running', async () => {
    expect((await statusOf('old-secret-123')).code).toBe('Access-Reject');
    const original = readFileSync(daemon.config, 'utf8');
    writeFileSync(
      daemon.config,
      original
        .replaceAll('old-secret-123', 'new-secret-456')
        .replace('log: { level: info }', 'log: { level: debug }')
        .replace(/port: (\d+)/, (_m, p) => `port: ${Number(p) + 1}`),
    );
    const logs = await reloadAndWait(/"msg":"configuration reloaded"/);
    expect(logs).toMatch(/"keys":\["radius\.listen"\],"msg":"these keys changed but apply only after a restart"/);
    expect(logs).not.toContain('new-secret-456');
    // The new secret is in force at once, the old one is not (its signature no longer verifies).
    expect((await statusOf('new-secret-456')).code).toBe('Access-Reject');
    expect((await statusOf('old-secret-123')).code).toBe('timeout');
    // Debug level: a dropped packet is now logged with its reason.
    expect(daemon.logs()).toMatch(/"level":20.*"msg":"packet dropped"/);
    expect(daemon.process()!.output()).not.toMatch(/sms-otp-radiusd stopped/);
  });

  it('reports a broken file and keeps the running configuration', async () => {
    writeFileSync(daemon.config, readFileSync(daemon.config, 'utf8').replace('clients:', 'clients: 7\n  clientz:'));
    const logs = await reloadAndWait(/configuration not reloaded/);
    expect(logs).toMatch(/"level":50.*"reason":".*radius\.clientz: unknown key.*"msg":"configuration not reloaded: it has errors; the running configuration stays"/);
    expect((await statusOf('new-secret-456')).code).toBe('Access-Reject');
  });

  it('a SIGHUP sent the moment the daemon says it started reloads it, and does not end it (the default of SIGHUP)', async () => {
    const fresh = await createDaemon({ secret: 'fresh-secret-123' });
    try {
      await fresh.start();
      fresh.process()!.signal('SIGHUP');
      const until = Date.now() + 10_000;
      while (!fresh.logs().includes('"msg":"configuration reloaded"')) {
        if (Date.now() > until) throw new Error(`no reload after an early SIGHUP:\n${fresh.logs()}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      const answer = await radclient({ host: fresh.host, port: fresh.port, secret: 'fresh-secret-123' }, { 'User-Name': '"nobody"', 'User-Password': '"x"' }, { timeout: 3, retries: 1 });
      expect(answer.code).toBe('Access-Reject');
    } finally {
      await fresh.stop();
    }
  });
});
