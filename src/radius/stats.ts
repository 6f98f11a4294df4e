import type { DropReason } from './packet.js';
import type { Refusal } from './refusals.js';
import type { AccountingStatus } from '../core/accounting.js';

export interface ClientCounters {
  requests: number;
  accepts: number;
  rejects: number;
  challenges: number;
  statusServer: number;
  errors: number;
  /** Requests dropped unanswered because nobody waits for them any more (deadline, overload, shutdown). */
  shed: number;
  /** Retransmissions: dropped while the first was in progress, or answered from the cache. */
  duplicates: number;
  dropped: Partial<Record<DropReason, number>>;
  /** Of the rejects: those refused before any credential was checked (CHAP, EAP, no password...). */
  refused: Partial<Record<Refusal, number>>;
  /** Accounting-Requests answered (the record durable), by Acct-Status-Type. */
  accounting: Partial<Record<AccountingStatus, number>>;
}

/** Per-client counters kept in memory (a later metrics endpoint reads them). */
export class RadiusStats {
  readonly clients = new Map<string, ClientCounters>();

  of(client: string): ClientCounters {
    let counters = this.clients.get(client);
    if (!counters) {
      counters = { requests: 0, accepts: 0, rejects: 0, challenges: 0, statusServer: 0, errors: 0, shed: 0, duplicates: 0, dropped: {}, refused: {}, accounting: {} };
      this.clients.set(client, counters);
    }
    return counters;
  }

  drop(client: string, reason: DropReason): void {
    const dropped = this.of(client).dropped;
    dropped[reason] = (dropped[reason] ?? 0) + 1;
  }

  snapshot(): Record<string, ClientCounters> {
    return Object.fromEntries([...this.clients].map(([k, v]) => [k, structuredClone(v)]));
  }
}
