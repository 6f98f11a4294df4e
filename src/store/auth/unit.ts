// A WriteUnit as a sequence of statements, run synchronously by the SQLite engine inside its
// batch transaction; `exec` runs one statement and tells how many rows it changed (and the
// rows it returned). PostgreSQL runs the same steps server-side (./pg-steps.ts).
// Inside that transaction nothing else writes, so a check and the writes after it are atomic.
import type { AuditEntry } from '../../core/model.js';
import type { WriteResult } from '../../core/ports.js';
import type { SealedUnit } from './login-keys.js';
import type { StatementName } from './statements.js';

export interface ExecResult {
  readonly changes: number;
  readonly rows: ReadonlyArray<Record<string, unknown>>;
}

export type Exec = (statement: StatementName, params: readonly unknown[]) => ExecResult;

export function applyUnit(unit: SealedUnit, exec: Exec): WriteResult {
  const counters = new Map<string, number>();
  const locked: string[] = [];
  let outcome = 'ok';
  steps: for (const step of unit.steps) {
    switch (step.kind) {
      case 'checkUnlocked': {
        if (!step.serials.some((serial) => exec('unlockedToken', [serial]).rows.length > 0)) {
          outcome = step.guard;
          break steps;
        }
        break;
      }
      case 'advanceCounter': {
        const { rows } = exec('advanceCounter', [step.at, step.serial]);
        const row = rows[0];
        if (row) counters.set(step.serial, Number(row.counter));
        else if (exec('tokenExists', [step.serial]).rows.length === 0) throw new Error(`token ${step.serial} vanished while sending an SMS`);
        // else: at its maxfail (locked meanwhile), it sends nothing.
        break;
      }
      case 'insertChallenges':
        for (const c of step.challenges) {
          exec('insertChallenge', [c.transactionId, c.serial, c.counter, c.username, c.realm, c.client, c.createdAt, c.expiresAt]);
        }
        break;
      case 'consumeTransaction': {
        const { changes } = exec('consumeTransaction', [step.transactionId]);
        if (changes === 0 && step.guard) {
          outcome = step.guard;
          break steps;
        }
        break;
      }
      case 'countReceived':
        exec('countReceived', [step.transactionId]);
        break;
      case 'commitOtp': {
        const next = step.counter + 1;
        const { changes } = step.allowOlder
          ? exec('commitOtpAny', [next, step.at, step.at, step.serial])
          : exec('commitOtpStrict', [next, step.at, step.at, step.serial, step.counter]);
        if (changes === 0 && step.guard) {
          outcome = step.guard;
          break steps;
        }
        break;
      }
      case 'recordFailure': {
        let counted = 0;
        for (const serial of step.serials) {
          const row = exec('recordFailure', [step.at, step.at, serial]).rows[0];
          if (!row) continue;
          counted++;
          if (Number(row.failcount) >= Number(row.maxfail)) locked.push(serial);
        }
        if (counted === 0 && step.guard) {
          outcome = step.guard;
          break steps;
        }
        break;
      }
      case 'clearFailures':
        for (const serial of step.serials) exec('clearFailures', [step.at, serial, step.failedBefore]);
        break;
      case 'verifyToken':
        exec('verifyToken', [step.at, step.serial]);
        break;
      case 'insertPendingEnrollment': {
        const e = step.enrollment;
        exec('insertPendingEnrollment', [e.transactionId, e.username, e.realm, e.client, e.phone, e.phoneSource, e.otpkey, e.counter, e.createdAt, e.expiresAt]);
        break;
      }
      case 'consumePendingEnrollment': {
        const { changes } = exec('consumePendingEnrollment', [step.transactionId]);
        if (changes === 0 && step.guard) {
          outcome = step.guard;
          break steps;
        }
        break;
      }
      case 'countPendingReceived':
        exec('countPendingReceived', [step.transactionId]);
        break;
      case 'createToken': {
        const t = step.token;
        exec('createToken', [t.serial, t.username, t.realm, t.phone, t.dynamicPhone ? 1 : 0, t.otpkey, t.hashlib, t.otplen, t.counter, t.countWindow, t.pinHash,
          t.maxfail, t.at, t.at, t.at]);
        break;
      }
      default: {
        // A kind without a branch here fails the compile (never) and, from JSON, the unit.
        const unknown: never = step;
        throw new Error(`unknown write step ${(unknown as { kind: string }).kind}`);
      }
    }
  }
  const audit = unit.audit?.[outcome];
  if (audit) {
    exec('insertAudit', auditParams(audit));
  }
  return { outcome, counters, locked };
}

/** The parameters of the insertAudit statement (its column order). */
export function auditParams(e: AuditEntry): unknown[] {
  return [e.at, e.action, e.username, e.realm, e.client, e.clientAddress, e.serials.join(','), e.reason,
    e.gateway, e.phone, e.nas.callingStationId, e.nas.ipAddress, e.nas.identifier];
}
