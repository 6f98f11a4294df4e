// Reads a daemon's /metrics over real HTTP (Node's fetch) and picks samples out of the
// Prometheus text format, so that tests can compare a counter before and after traffic.
import { setTimeout as sleep } from 'node:timers/promises';

export interface Scrape {
  readonly text: string;
  readonly contentType: string;
  /** The sample's value, or undefined when the series is absent. */
  value(name: string, labels?: Record<string, string>): number | undefined;
}

const SAMPLE = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/;
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;

export async function scrape(metricsUrl: string): Promise<Scrape> {
  const response = await fetch(`${metricsUrl}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  const text = await response.text();
  const samples: Array<{ name: string; labels: Record<string, string>; value: number }> = [];
  for (const line of text.split('\n')) {
    const m = SAMPLE.exec(line);
    if (!m || line.startsWith('#')) continue;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(LABEL)].map((l) => [l[1]!, l[2]!]));
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return {
    text,
    contentType: response.headers.get('content-type') ?? '',
    value(name, labels = {}) {
      const want = Object.entries(labels);
      const found = samples.find((s) => s.name === name && want.length === Object.keys(s.labels).length && want.every(([k, v]) => s.labels[k] === v));
      return found?.value;
    },
  };
}

/** A counter's value, 0 when the series does not exist yet. */
export async function counter(metricsUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  return (await scrape(metricsUrl)).value(name, labels) ?? 0;
}

/** Scrapes until `check` holds (gauges read from the store are cached for a few seconds). */
export async function scrapeUntil(metricsUrl: string, check: (s: Scrape) => boolean, timeoutMs = 10_000): Promise<Scrape> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = await scrape(metricsUrl);
    if (check(s)) return s;
    if (Date.now() > until) throw new Error(`metrics did not reach the expected state within ${timeoutMs} ms:\n${s.text}`);
    await sleep(250);
  }
}

/** GET a path of the metrics listener: status and body. */
export async function probe(metricsUrl: string, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${metricsUrl}${path}`);
  return { status: response.status, body: await response.text() };
}
