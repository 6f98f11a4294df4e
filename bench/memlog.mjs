// Memory breakdown of a daemon under the bench, preloaded into it:
//   MEMLOG_FILE=/tmp/mem.jsonl BENCH_DAEMON_NODE_OPTIONS=--import=$PWD/bench/memlog.mjs npm run bench -- --only memory
// Every 500 ms one JSON line: RSS split into file-backed (the node binary and libraries) and
// anonymous memory, V8's heap (used / total, per space), external memory and ArrayBuffers;
// anonymous minus heap total minus external is native memory (malloc: scrypt blocks, SQLite's
// page cache, OpenSSL, libuv). After each full collection: the heap then (≈ the live heap).
// MEMLOG_SMAPS=file: /proc/self/smaps at SIGTERM (which mapping holds what).
import { appendFileSync, readFileSync } from 'node:fs';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import v8 from 'node:v8';

const file = process.env.MEMLOG_FILE;
const t0 = Date.now();
const MB = 1024 * 1024;
const mb = (bytes) => Math.round((bytes / MB) * 10) / 10;
const seconds = () => ((Date.now() - t0) / 1000).toFixed(1);
const write = (record) => appendFileSync(file, `${JSON.stringify(record)}\n`);
const kb = (re, text) => Number(text.match(re)?.[1] ?? 0) * 1024;

if (file) {
  setInterval(() => {
    const m = process.memoryUsage();
    const rollup = readFileSync('/proc/self/smaps_rollup', 'utf8');
    const anon = kb(/Anonymous:\s+(\d+)/, rollup);
    write({
      t: seconds(),
      rss: mb(m.rss),
      file: mb(kb(/Rss:\s+(\d+)/, rollup) - anon),
      anon: mb(anon),
      heapUsed: mb(m.heapUsed),
      heapTotal: mb(m.heapTotal),
      external: mb(m.external),
      arrayBuffers: mb(m.arrayBuffers),
      native: mb(anon - m.heapTotal - m.external),
      heapLimit: mb(v8.getHeapStatistics().heap_size_limit),
      spaces: Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, [mb(s.space_used_size), mb(s.space_size)]])),
    });
  }, 500).unref();
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
      const m = process.memoryUsage();
      write({ t: seconds(), majorGcMs: Math.round(e.duration * 10) / 10, heapUsedAfter: mb(m.heapUsed), heapTotal: mb(m.heapTotal) });
    }
  }).observe({ entryTypes: ['gc'] });
}
if (process.env.MEMLOG_SMAPS) {
  process.once('SIGTERM', () => appendFileSync(process.env.MEMLOG_SMAPS, readFileSync('/proc/self/smaps', 'utf8')));
}
