// Group reads for PostgreSQL's login hot path: the open challenges asked for during one turn
// of the event loop go out as one statement (transaction_id = ANY), one round trip and one
// parse on the server, instead of one of each per request. One batch is in flight at a time,
// so that under load the requests that arrive while it travels form the next one, as the
// writes' group commit does (PgAuthStore.commit).

/** At most this many States per statement: a bounded array parameter and result. */
const MAX_BATCH = 256;

interface Waiting {
  readonly key: string;
  readonly now: number;
  readonly resolve: (rows: Array<Record<string, unknown>>) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Runs `fetch(keys, since)`, whose rows carry their key in `keyColumn` and an expiry (epoch ms)
 * in `expiresColumn`; each caller gets its key's rows still open at its own `now`.
 */
export class ReadBatcher {
  private readonly waiting: Waiting[] = [];
  private inFlight = false;
  private scheduled = false;

  constructor(
    private readonly fetch: (keys: string[], since: number) => Promise<ReadonlyArray<Record<string, unknown>>>,
    private readonly keyColumn: string,
    private readonly expiresColumn: string,
  ) {}

  read(key: string, now: number): Promise<Array<Record<string, unknown>>> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ key, now, resolve, reject });
      if (!this.inFlight && !this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.waiting.splice(0, MAX_BATCH);
    if (batch.length === 0) return;
    this.inFlight = true;
    try {
      // The earliest `now` of the batch fetches every row any of them may see; each is then cut to its own.
      let since = batch[0]!.now;
      for (const w of batch) if (w.now < since) since = w.now;
      const rows = await this.fetch([...new Set(batch.map((w) => w.key))], since);
      const byKey = new Map<string, Array<Record<string, unknown>>>();
      for (const row of rows) {
        const key = String(row[this.keyColumn]);
        let list = byKey.get(key);
        if (!list) byKey.set(key, (list = []));
        list.push(row);
      }
      for (const w of batch) w.resolve((byKey.get(w.key) ?? []).filter((row) => Number(row[this.expiresColumn]) > w.now));
    } catch (err) {
      for (const w of batch) w.reject(err);
    } finally {
      this.inFlight = false;
      if (this.waiting.length > 0) void this.flush();
    }
  }
}
