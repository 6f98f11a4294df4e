// One warning per client and kind every 10 s, so a misconfigured NAS cannot flood the log.
import type { Logger } from 'pino';

const WARN_INTERVAL_MS = 10_000;

export class WarnOnce {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  warn(kind: string, client: string, fields: object, message: string): void {
    const key = `${kind}|${client}`;
    const now = this.now();
    if (now - (this.last.get(key) ?? -Infinity) < WARN_INTERVAL_MS) return;
    this.last.set(key, now);
    this.log.warn({ client, ...fields }, message);
  }
}
