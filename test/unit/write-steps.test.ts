// One home per write step: each kind the login writes has a SQLite form (applyUnit's branch)
// and a PostgreSQL form (a WHEN branch of the live sms_otp_apply_unit), and the live PL/pgSQL
// is exactly what the newest migration installs. When this fails after a change of
// src/store/auth/pg-steps.ts: copy the new text into src/store/migrations/pg-history.ts under
// a new key and add a migration that runs it (never edit an older one).
import type { Knex } from 'knex';
import { describe, expect, it } from 'vitest';
import type { SealedStep, SealedUnit } from '../../src/store/auth/login-keys.js';
import {
  PG_APPLY_UNIT_FUNCTION,
  PG_APPLY_UNITS_FUNCTION,
  PG_CONSUME_LIMITS_FUNCTION,
  PG_INSERT_AUDIT_FUNCTION,
  PG_STEP,
} from '../../src/store/auth/pg-steps.js';
import { applyUnit, type Exec } from '../../src/store/auth/unit.js';
import { migrationConfig, type Migration } from '../../src/store/migrations/index.js';

const at = 1_700_000_000_000;
/** One step of each kind (typed: a new kind fails the compile until it has one here). */
const SAMPLE: { [K in SealedStep['kind']]: Extract<SealedStep, { kind: K }> } = {
  checkUnlocked: { kind: 'checkUnlocked', serials: ['S1'], guard: 'locked' },
  advanceCounter: { kind: 'advanceCounter', serial: 'S1', at },
  insertChallenges: {
    kind: 'insertChallenges',
    challenges: [{ transactionId: 'T1', serial: 'S1', counter: 1, username: 'u', realm: '', client: 'nas', createdAt: at, expiresAt: at + 1 }],
  },
  consumeTransaction: { kind: 'consumeTransaction', transactionId: 'T1', guard: 'gone' },
  countReceived: { kind: 'countReceived', transactionId: 'T1' },
  commitOtp: { kind: 'commitOtp', serial: 'S1', counter: 1, allowOlder: false, at },
  recordFailure: { kind: 'recordFailure', serials: ['S1'], at },
  clearFailures: { kind: 'clearFailures', serials: ['S1'], at, failedBefore: at },
  verifyToken: { kind: 'verifyToken', serial: 'S1', at },
  insertPendingEnrollment: {
    kind: 'insertPendingEnrollment',
    enrollment: { transactionId: 'T1', username: 'u', realm: '', client: 'nas', phone: '', phoneSource: 'typed', otpkey: 'sealed', counter: 0, createdAt: at, expiresAt: at + 1 },
  },
  consumePendingEnrollment: { kind: 'consumePendingEnrollment', transactionId: 'T1' },
  countPendingReceived: { kind: 'countPendingReceived', transactionId: 'T1' },
  createToken: {
    kind: 'createToken',
    token: { serial: 'S1', username: 'u', realm: '', phone: '+49', dynamicPhone: false, otpkey: 'sealed', hashlib: 'sha1', otplen: 6, counter: 1, countWindow: 10, maxfail: 10, pinHash: 'h', at },
  },
};
const KINDS = Object.keys(PG_STEP) as Array<SealedStep['kind']>;

/** The PL/pgSQL every migration's `up` runs, in order, read through a knex that only records. */
async function installedTexts(): Promise<Map<string, string>> {
  const raws: string[] = [];
  const chain: unknown = new Proxy(function () {}, {
    get: (_t, p) => (p === 'then' ? (resolve: (rows: unknown[]) => void) => resolve([]) : chain),
    apply: () => chain,
  });
  const knex = new Proxy(function () {}, {
    get: (_t, p) => {
      if (p === 'client') return { config: { client: 'pg' } };
      if (p === 'raw') return async (sql: string) => void raws.push(sql);
      return p === 'then' ? undefined : chain;
    },
    apply: () => chain,
  }) as unknown as Knex;
  const migrations = (await migrationConfig.migrationSource!.getMigrations([])) as Migration[];
  for (const m of migrations) await m.up(knex);
  const newest = new Map<string, string>();
  for (const raw of raws) {
    for (const text of raw.split(/(?=CREATE OR REPLACE FUNCTION )/)) {
      const name = /^CREATE OR REPLACE FUNCTION (\w+)/.exec(text)?.[1];
      if (name) newest.set(name, text);
    }
  }
  return newest;
}

/** Whitespace around a function's text and the `;` that separates it from the next one do not matter. */
const body = (text: string) => text.trim().replace(/;$/, '');

describe('write steps', () => {
  it.each(KINDS)('%s has a SQLite branch in applyUnit', (kind) => {
    const ran: string[] = [];
    const exec: Exec = (statement) => {
      ran.push(statement);
      return { changes: 1, rows: [{ counter: 2, failcount: 1, maxfail: 10 }] };
    };
    applyUnit({ steps: [SAMPLE[kind]] } as SealedUnit, exec);
    expect(ran.length).toBeGreaterThan(0);
  });

  it.each(KINDS)('%s has a PostgreSQL branch in the live sms_otp_apply_unit', (kind) => {
    expect(PG_STEP[kind]).toMatch(new RegExp(`^\\n    WHEN '${kind}' THEN\\n`));
    expect(PG_APPLY_UNIT_FUNCTION).toContain(`WHEN '${kind}' THEN`);
  });

  it('a step of no known kind fails on SQLite as on PostgreSQL', () => {
    const exec: Exec = () => ({ changes: 0, rows: [] });
    expect(() => applyUnit({ steps: [{ kind: 'bogus' }] } as unknown as SealedUnit, exec)).toThrow('unknown write step bogus');
    expect(PG_APPLY_UNIT_FUNCTION).toContain("RAISE EXCEPTION 'unknown write step %'");
  });

  it('the live PostgreSQL functions are what the newest migrations install', async () => {
    const installed = await installedTexts();
    const live: Record<string, string> = {
      sms_otp_apply_unit: PG_APPLY_UNIT_FUNCTION,
      sms_otp_apply_units: PG_APPLY_UNITS_FUNCTION,
      sms_otp_insert_audit: PG_INSERT_AUDIT_FUNCTION,
      sms_otp_consume_limits: PG_CONSUME_LIMITS_FUNCTION,
    };
    expect([...installed.keys()].sort()).toEqual(Object.keys(live).sort());
    for (const [name, text] of Object.entries(live)) {
      expect(body(text), `${name}: src/store/auth/pg-steps.ts differs from the newest migration's text; add its text to pg-history.ts and a migration that installs it`).toBe(body(installed.get(name)!));
    }
  });
});
