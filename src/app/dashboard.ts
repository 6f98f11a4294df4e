// What the admin dashboard charts, counted from the audit trail by the database
// (src/store/audit-stats.ts): logins per minute over the last hour and per hour over the last
// day by outcome, SMS sent and not sent by gateway over the same windows, and how many tokens
// are locked or disabled now. Plain series, ready for Chart.js (labels on the x axis, one
// dataset per series).
//
// What counts as an SMS, by the rows the login core writes: sent, a `challenge` or `autosend`
// row with a gateway; not sent, a `reject` whose SMS could not be sent (a gateway failure or an
// SMS limit), an `autosend` that failed, an `sms-late` that failed after the challenge was
// answered (that SMS was counted sent with its challenge too: its late failure is counted again).
import type { AuditBucketCount } from '../store/audit-stats.js';
import type { Store } from '../store/index.js';

/** Chart.js's shape: one label per bucket (the bucket's start, epoch ms) and one value per label in each series. */
export interface ChartSeries {
  readonly labels: readonly number[];
  readonly series: ReadonlyArray<{ readonly name: string; readonly values: readonly number[] }>;
}

export interface WindowCharts {
  /** accept, reject, challenge per bucket. */
  readonly logins: ChartSeries;
  /** One series per gateway (as the audit names it; a login of several tokens names them joined by commas). */
  readonly smsSent: ChartSeries;
  readonly smsFailed: ChartSeries;
}

export interface DashboardView {
  /** 60 buckets of a minute, the last one holding now. */
  readonly lastHour: WindowCharts;
  /** 24 buckets of an hour, the last one holding now. */
  readonly lastDay: WindowCharts;
  /** Tokens whose fail counter locks them now (failcount ≥ maxfail, not lifted by failcounter_clear_timeout). */
  readonly lockedTokens: number;
  readonly disabledTokens: number;
  /** When it was counted (epoch ms). */
  readonly at: number;
}

const OUTCOMES = ['accept', 'reject', 'challenge'] as const;
const SENDING = new Set(['challenge', 'autosend']);
/** Gateways beyond these many (by their total) are summed into one series: a chart with more is unreadable. */
const MAX_GATEWAY_SERIES = 8;
const OTHER_GATEWAYS = 'other';
/**
 * A bucket ended this long ago is complete: the login writes its audit row within its request
 * (a batched commit within milliseconds), and a late SMS's row bears the time it is written.
 * Complete buckets are counted once and kept; only the newer ones are read again.
 */
const SETTLED_MS = 60_000;

export class Dashboard {
  /** Counts of complete buckets, by bucket size and start: at most the buckets of the two windows. */
  private readonly settled = new Map<string, AuditBucketCount[]>();

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  async view(): Promise<DashboardView> {
    const at = this.now();
    const settings = await this.store.settings.values();
    const timeout = settings.failcounter_clear_timeout;
    const [lastHour, lastDay, tokens] = await Promise.all([
      this.window(at, 60_000, 60),
      this.window(at, 3_600_000, 24),
      this.store.tokenSearch.lockedAndDisabled(timeout > 0 ? at - timeout * 60_000 : null),
    ]);
    return { lastHour, lastDay, lockedTokens: tokens.locked, disabledTokens: tokens.disabled, at };
  }

  private async window(now: number, size: number, buckets: number): Promise<WindowCharts> {
    const start = Math.floor(now / size) * size - (buckets - 1) * size;
    const labels = Array.from({ length: buckets }, (_v, i) => start + i * size);
    const rows = await this.counts(labels, size, now);
    const logins = new Series(buckets);
    const sent = new Series(buckets);
    const failed = new Series(buckets);
    for (const row of rows) {
      if ((OUTCOMES as readonly string[]).includes(row.action)) logins.add(row.action, row.bucket, row.count);
      if (row.gateway === '') continue;
      if (row.smsFailed) failed.add(row.gateway, row.bucket, row.count);
      else if (SENDING.has(row.action)) sent.add(row.gateway, row.bucket, row.count);
    }
    return {
      logins: { labels, series: OUTCOMES.map((name) => ({ name, values: logins.values(name) })) },
      smsSent: { labels, series: sent.busiest(MAX_GATEWAY_SERIES) },
      smsFailed: { labels, series: failed.busiest(MAX_GATEWAY_SERIES) },
    };
  }

  /** The counts of the window's buckets: the settled ones kept, from the first unsettled one read from the store. */
  private async counts(labels: readonly number[], size: number, now: number): Promise<AuditBucketCount[]> {
    const key = (start: number) => `${size}:${start}`;
    let first = labels.findIndex((label) => !this.settled.has(key(label)));
    if (first === -1) first = labels.length;
    const fresh = first < labels.length ? await this.store.auditStats.buckets(labels[first]!, size, labels.length - first) : [];
    const rows: AuditBucketCount[] = labels.slice(0, first).flatMap((label, i) => this.settled.get(key(label))!.map((r) => ({ ...r, bucket: i })));
    const byBucket = new Map<number, AuditBucketCount[]>();
    for (const r of fresh) {
      const row = { ...r, bucket: r.bucket + first };
      rows.push(row);
      byBucket.set(row.bucket, [...(byBucket.get(row.bucket) ?? []), row]);
    }
    for (let i = first; i < labels.length; i++) {
      if (labels[i]! + size <= now - SETTLED_MS) this.settled.set(key(labels[i]!), byBucket.get(i) ?? []);
    }
    for (const k of this.settled.keys()) {
      const [kSize, kStart] = k.split(':').map(Number);
      if (kSize === size && kStart! < labels[0]!) this.settled.delete(k);
    }
    return rows;
  }
}

/** Counts per name and bucket. */
class Series {
  private readonly byName = new Map<string, number[]>();

  constructor(private readonly buckets: number) {}

  add(name: string, bucket: AuditBucketCount['bucket'], count: number): void {
    if (bucket < 0 || bucket >= this.buckets) return;
    let values = this.byName.get(name);
    if (!values) this.byName.set(name, (values = new Array<number>(this.buckets).fill(0)));
    values[bucket]! += count;
  }

  values(name: string): number[] {
    return this.byName.get(name) ?? new Array<number>(this.buckets).fill(0);
  }

  /** The `max` busiest by name order, the rest summed as `other`. */
  busiest(max: number): Array<{ name: string; values: number[] }> {
    const total = (v: number[]) => v.reduce((a, b) => a + b, 0);
    const all = [...this.byName.entries()].sort(([a, va], [b, vb]) => total(vb) - total(va) || a.localeCompare(b));
    const kept = all.slice(0, max).sort(([a], [b]) => a.localeCompare(b));
    const rest = all.slice(max);
    const series = kept.map(([name, values]) => ({ name, values }));
    if (rest.length > 0) {
      series.push({ name: OTHER_GATEWAYS, values: Array.from({ length: this.buckets }, (_v, i) => rest.reduce((sum, [, v]) => sum + v[i]!, 0)) });
    }
    return series;
  }
}
