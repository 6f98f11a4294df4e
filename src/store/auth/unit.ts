// A WriteUnit as a sequence of statements. Written once as a generator: the SQLite engine
// drives it synchronously inside its batch transaction, the PostgreSQL engine drives it
// asynchronously inside BEGIN ... COMMIT. Each yield is one statement; the driver sends back
// how many rows it changed (and the rows it returned).
import type { WriteResult, WriteUnit } from '../../core/ports.js';
import type { StatementName } from './statements.js';

export interface Exec {
  readonly statement: StatementName;
  readonly params: readonly unknown[];
}

export interface ExecResult {
  readonly changes: number;
  readonly rows: ReadonlyArray<Record<string, unknown>>;
}

export function* unitStatements(unit: WriteUnit): Generator<Exec, WriteResult, ExecResult> {
  const counters = new Map<string, number>();
  let outcome = 'ok';
  steps: for (const step of unit.steps) {
    switch (step.kind) {
      case 'advanceCounter': {
        const { rows } = yield { statement: 'advanceCounter', params: [step.at, step.serial] };
        const row = rows[0];
        if (!row) throw new Error(`token ${step.serial} vanished while sending an SMS`);
        counters.set(step.serial, Number(row.counter));
        break;
      }
      case 'insertChallenges':
        for (const c of step.challenges) {
          yield {
            statement: 'insertChallenge',
            params: [c.transactionId, c.serial, c.counter, c.username, c.realm, c.client, c.createdAt, c.expiresAt],
          };
        }
        break;
      case 'consumeTransaction': {
        const { changes } = yield { statement: 'consumeTransaction', params: [step.transactionId] };
        if (changes === 0 && step.guard) {
          outcome = step.guard;
          break steps;
        }
        break;
      }
      case 'countReceived':
        yield { statement: 'countReceived', params: [step.transactionId] };
        break;
      case 'commitOtp': {
        const next = step.counter + 1;
        const { changes } = step.allowOlder
          ? yield { statement: 'commitOtpAny', params: [next, step.at, step.at, step.serial] }
          : yield { statement: 'commitOtpStrict', params: [next, step.at, step.at, step.serial, step.counter] };
        if (changes === 0 && step.guard) {
          outcome = step.guard;
          break steps;
        }
        break;
      }
      case 'recordFailure':
        for (const serial of step.serials) yield { statement: 'recordFailure', params: [step.at, step.at, serial] };
        break;
      case 'clearFailures':
        for (const serial of step.serials) yield { statement: 'clearFailures', params: [step.at, serial] };
        break;
    }
  }
  const audit = unit.audit?.[outcome];
  if (audit) {
    yield {
      statement: 'insertAudit',
      params: [audit.at, audit.action, audit.username, audit.realm, audit.client, audit.clientAddress, audit.serials.join(','), audit.reason],
    };
  }
  return { outcome, counters };
}
