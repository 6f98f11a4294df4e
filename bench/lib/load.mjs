// Closed-loop (saturation) and open-loop (paced) drivers over "jobs".
//
// A job is a function `(finish) => void` that sends one request (or, for a full login,
// a chain of them) and calls `finish(outcome, ms, requests)` exactly once, where
// outcome is 'ok', 'timeout', or the name of an unexpected answer. Sources hand out
// jobs built from packets prepared before the run (`next()` returns null when none is
// available: a pool used up, or every user busy).
import { TIMEOUT } from './client.mjs';
import { Code } from './packets.mjs';

const CODE_NAMES = { [Code.AccessAccept]: 'accept', [Code.AccessReject]: 'reject', [Code.AccessChallenge]: 'challenge' };

export function outcomeOf(code, expected) {
  if (code === expected) return 'ok';
  if (code === TIMEOUT) return 'timeout';
  return CODE_NAMES[code] ?? `code ${code}`;
}

/** Outcomes and latencies of one run. */
export class Tally {
  constructor() {
    this.latencies = new Float64Array(1024);
    this.count = 0; // finished jobs
    this.requests = 0; // RADIUS requests they sent
    this.ok = 0;
    this.timeouts = 0;
    this.other = {}; // unexpected outcomes by name
  }

  add(outcome, ms, requests = 1) {
    this.count++;
    this.requests += requests;
    if (outcome === 'ok') {
      this.ok++;
      if (this.ok > this.latencies.length) {
        const grown = new Float64Array(this.latencies.length * 2);
        grown.set(this.latencies);
        this.latencies = grown;
      }
      this.latencies[this.ok - 1] = ms;
    } else if (outcome === 'timeout') {
      this.timeouts++;
    } else {
      this.other[outcome] = (this.other[outcome] ?? 0) + 1;
    }
  }

  /** Latency quantiles in ms over the answered-as-expected jobs. */
  quantiles() {
    const sorted = this.latencies.slice(0, this.ok).sort();
    const q = (f) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))] : NaN);
    return { p50: q(0.5), p99: q(0.99), max: sorted.length ? sorted[sorted.length - 1] : NaN };
  }
}

/**
 * Keeps `concurrency` jobs in flight for `durationMs`. The rate counts the jobs finished
 * within the window; jobs still in flight at its end finish but do not count.
 */
export function closedLoop({ source, concurrency, durationMs }) {
  return new Promise((resolve) => {
    const tally = new Tally();
    const start = performance.now();
    const end = start + durationMs;
    let inFlight = 0;
    let inWindow = 0;
    let lastFinish = start;
    let exhausted = false;
    const settle = () => {
      if (inFlight > 0) return;
      const windowMs = exhausted ? Math.min(lastFinish, end) - start : durationMs;
      resolve({ tally, rate: windowMs > 0 ? (inWindow * 1000) / windowMs : 0, windowMs, exhausted });
    };
    const launch = () => {
      if (performance.now() >= end) return;
      const job = source.next();
      if (!job) {
        exhausted = true;
        return;
      }
      inFlight++;
      job((outcome, ms, requests) => {
        inFlight--;
        const now = performance.now();
        tally.add(outcome, ms, requests);
        if (requests === 0) return settle(); // never sent (no free Identifier): this slot stays empty
        if (now <= end) {
          inWindow++;
          lastFinish = now;
        }
        launch();
        settle();
      });
    };
    for (let i = 0; i < concurrency; i++) launch();
    settle();
  });
}

/**
 * Starts jobs at a fixed rate for `durationMs`, whether or not earlier ones answered
 * (open loop), from one timer: every 1 ms, or at low rates every half interval (up to
 * 10 ms) so that a 20/s run does not wake the generator 1000 times a second. Jobs that
 * cannot start (no free user, pool used up) are counted as skipped. Resolves when every
 * started job has finished.
 */
export function pacedLoop({ source, rate, durationMs, onTick }) {
  return new Promise((resolve) => {
    const tally = new Tally();
    const total = Math.max(1, Math.round((rate * durationMs) / 1000));
    const start = performance.now();
    let started = 0;
    let skipped = 0;
    let inFlight = 0;
    let maxLagMs = 0;
    let ticking = true;
    const settle = () => {
      if (!ticking && inFlight === 0) resolve({ tally, rate, started, skipped, maxLagMs, windowMs: durationMs });
    };
    const timer = setInterval(() => {
      const now = performance.now();
      onTick?.(now - start);
      const due = Math.min(total, Math.floor(((now - start) * rate) / 1000) + 1);
      if (due > started) maxLagMs = Math.max(maxLagMs, now - (start + (started * 1000) / rate));
      for (; started < due; started++) {
        const job = source.next();
        if (!job) {
          skipped++;
          continue;
        }
        inFlight++;
        job((outcome, ms, requests) => {
          inFlight--;
          tally.add(outcome, ms, requests);
          settle();
        });
      }
      if (started >= total || now - start >= durationMs) {
        clearInterval(timer);
        ticking = false;
        settle();
      }
    }, Math.min(10, Math.max(1, Math.floor(500 / rate))));
  });
}

/** A job that sends one packet and expects one response code. */
export function singleJob(client, packet, expected, after) {
  return (finish) => {
    const sent = client.send(packet, (code, ms, response) => {
      after?.(code, response);
      finish(outcomeOf(code, expected), ms, 1);
    });
    if (!sent) setImmediate(() => finish('no free Identifier', 0, 0));
  };
}

/** Jobs from a list of packets, each used once, in order. */
export function poolSource(client, packets, expected, after) {
  let i = 0;
  return {
    next: () => (i < packets.length ? singleJob(client, packets[i++], expected, after) : null),
    get used() {
      return i;
    },
    get remaining() {
      return packets.length - i;
    },
  };
}

/**
 * Jobs bound to users: a user is never in two jobs at once (no two in-flight requests
 * race on one token). Users are taken round-robin; a busy one is skipped.
 * `makeJob(user, release)` builds the job and must call release() when it ends.
 */
export function userSource(users, makeJob) {
  const busy = new Uint8Array(users.length);
  let cursor = 0;
  return {
    next() {
      for (let tries = 0; tries < users.length; tries++) {
        const i = cursor++ % users.length;
        if (busy[i]) continue;
        const job = makeJob(users[i], () => {
          busy[i] = 0;
        });
        if (!job) continue;
        busy[i] = 1;
        return job;
      }
      return null;
    },
  };
}

/** Interleaves sources by weight: weights [18, 1, 1] takes 18 jobs of the first, then one of each other. */
export function mixedSource(sources, weights) {
  const pattern = weights.flatMap((w, i) => Array(w).fill(i));
  let k = 0;
  return {
    next: () => sources[pattern[k++ % pattern.length]].next(),
  };
}

/** At most `n` jobs of a source. */
export function limitSource(source, n) {
  let taken = 0;
  return { next: () => (taken < n ? (taken++, source.next()) : null) };
}
