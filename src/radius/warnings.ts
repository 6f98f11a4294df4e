// One warning per client and kind every 10 s, so a misconfigured NAS cannot flood the log.
// What the throttle held back is not lost: when the period ends, one line says how many more
// there were, and that line opens the next period (a steady flood logs one line per 10 s).
import type { Logger } from 'pino';

export const WARN_INTERVAL_MS = 10_000;

interface Period {
  readonly client: string;
  startedAt: number;
  suppressed: number;
  /** The fields and message of the last one held back, for the summary. */
  fields: object;
  message: string;
  timer: NodeJS.Timeout | undefined;
}

export class WarnOnce {
  private readonly periods = new Map<string, Period>();

  constructor(
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  warn(kind: string, client: string, fields: object, message: string): void {
    const key = `${kind}|${client}`;
    const now = this.now();
    const period = this.periods.get(key);
    if (period && now - period.startedAt < WARN_INTERVAL_MS) {
      period.suppressed++;
      period.fields = fields;
      period.message = message;
      if (!period.timer) {
        period.timer = setTimeout(() => this.summarise(period), period.startedAt + WARN_INTERVAL_MS - now);
        period.timer.unref();
      }
      return;
    }
    this.periods.set(key, { client, startedAt: now, suppressed: 0, fields, message, timer: undefined });
    this.log.warn({ client, ...fields }, message);
  }

  /** Logs what is still held back (at shutdown) instead of waiting for the periods to end. */
  flush(): void {
    for (const period of this.periods.values()) {
      if (period.timer) {
        clearTimeout(period.timer);
        this.summarise(period);
      }
    }
  }

  private summarise(period: Period): void {
    period.timer = undefined;
    if (period.suppressed === 0) return;
    const now = this.now();
    const seconds = Math.max(1, Math.round((now - period.startedAt) / 1000));
    this.log.warn(
      { client: period.client, ...period.fields, suppressed: period.suppressed },
      `${period.suppressed} more like this in the last ${seconds} s: ${period.message}`,
    );
    period.suppressed = 0;
    period.startedAt = now;
  }
}
