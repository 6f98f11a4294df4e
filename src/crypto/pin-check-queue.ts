// PIN hashing (scrypt) on all cores, in front of a bounded queue. A deliberately slow KDF is
// the cost of a login, so it is also what a flood of wrong PINs consumes: without a bound,
// work piles up for requests whose NAS gave up long ago while real logins starve.
//  - At most `parallelism` hashes run at once (libuv's pool runs them beside the event loop).
//  - Waiting work is bounded by its estimated time (per cost, learnt from the hashes done).
//  - A check whose deadline has passed, or would before it finished, is shed, not computed.
//  - Names with recent failures ('suspect') wait behind all others and are shed first, so
//    the login of someone who is not being guessed still gets through a flood.
//  - Each source (the RADIUS client asking) takes its turn, and within it the login name
//    served least goes next: a flood from one NAS, or at some names, waits behind the others,
//    and when the bound is reached it is the flood that is shed. Without the turns by name, a
//    flood's first checks, queued before any of them failed (so not yet suspect), filled the
//    bound ahead of another user's login (the bench's flood row, 2026-12-06).
//  - overloaded() tells Status-Server to fall silent so that NASes fail over.
import { availableParallelism } from 'node:os';
import { RequestShed } from '../core/errors.js';
import type { PinCheckOptions, PinVerifier } from '../core/ports.js';
import { isPrivacyIdeaPinHash, type PinHasher } from './pin-hash.js';
import { TurnQueue } from './turn-queue.js';

export interface PinCheckQueueOptions {
  /** Hashes computed at once; default: the machine's cores. */
  readonly parallelism?: number;
  /** Estimated seconds of waiting work at which new work is refused (default 2). */
  readonly maxQueuedSeconds?: number;
  readonly now?: () => number;
}

interface Job {
  readonly run: () => Promise<boolean | string>;
  readonly cost: number;
  /** Its part of queuedMs, fixed when it was queued so that the sum never drifts. */
  readonly share: number;
  readonly deadline: number;
  readonly resolve: (value: never) => void;
  readonly reject: (err: unknown) => void;
}

/** The waiting jobs of one source, by priority, each by login name in turns. */
interface Lane {
  readonly normal: TurnQueue<Job>;
  readonly suspect: TurnQueue<Job>;
}

/** Share of the bound above which the daemon calls itself overloaded. */
const OVERLOAD_SHARE = 0.75;
const SMOOTHING = 0.2;

export class PinCheckQueue implements PinVerifier {
  private readonly parallelism: number;
  private readonly maxQueuedMs: number;
  private readonly now: () => number;
  /** By source; the map's order is the turn order (a lane served goes to the back). */
  private readonly lanes = new Map<string, Lane>();
  private waitingJobs = 0;
  /** Smoothed wall time of one hash, by cost (log2 N). */
  private readonly estimates = new Map<number, number>();
  private queuedMs = 0;
  private running = 0;
  private closed = false;
  shed = { deadline: 0, overload: 0, shutdown: 0 };

  constructor(
    private readonly hasher: PinHasher,
    options: PinCheckQueueOptions = {},
  ) {
    this.parallelism = Math.max(1, options.parallelism ?? availableParallelism());
    this.maxQueuedMs = (options.maxQueuedSeconds ?? 2) * 1000;
    this.now = options.now ?? Date.now;
  }

  verify(pin: string, encoded: string, options: PinCheckOptions = {}): Promise<boolean> {
    return this.submit(() => this.hasher.verify(pin, encoded), costOf(encoded), options) as Promise<boolean>;
  }

  hash(pin: string, cost: number): Promise<string> {
    return this.submit(() => this.hasher.hash(pin, cost), cost, {}) as Promise<string>;
  }

  /** True while the waiting work is near its bound: new logins would wait too long or be shed. */
  overloaded(): boolean {
    return this.queuedMs >= this.maxQueuedMs * OVERLOAD_SHARE;
  }

  get waiting(): number {
    return this.waitingJobs;
  }

  /** Sheds everything that waits (a shutdown): only the hashes already running finish. */
  close(): void {
    this.closed = true;
    const all = [...this.lanes.values()].flatMap((lane) => [...lane.normal.drain(), ...lane.suspect.drain()]);
    this.lanes.clear();
    this.waitingJobs = 0;
    for (const job of all) this.drop(job, 'shutdown');
    this.queuedMs = 0;
  }

  private submit(run: () => Promise<boolean | string>, cost: number, options: PinCheckOptions): Promise<boolean | string> {
    if (this.closed) return Promise.reject(new RequestShed('shutdown'));
    return new Promise((resolve, reject) => {
      const share = this.estimate(cost) / this.parallelism;
      const job: Job = { run, cost, share, deadline: options.deadline ?? Infinity, resolve: resolve as (v: never) => void, reject };
      this.laneOf(options.source ?? '')[options.priority === 'suspect' ? 'suspect' : 'normal'].push(options.subject ?? '', job);
      this.waitingJobs++;
      this.queuedMs += share;
      while (this.queuedMs > this.maxQueuedMs && this.waiting > 1) {
        // Over the bound: a suspect goes first, then the rest; each time the oldest of the
        // source with the most waiting, so that a flood sheds itself rather than the others.
        const victim = this.take('suspect', 'largest') ?? this.take('normal', 'largest')!;
        this.dequeued(victim);
        this.drop(victim, 'overload');
      }
      this.next();
    });
  }

  private next(): void {
    while (this.running < this.parallelism) {
      const job = this.take('normal', 'turn') ?? this.take('suspect', 'turn');
      if (!job) return;
      this.dequeued(job);
      if (this.now() + this.estimate(job.cost) > job.deadline) {
        this.drop(job, 'deadline');
        continue;
      }
      this.start(job);
    }
  }

  private laneOf(source: string): Lane {
    let lane = this.lanes.get(source);
    if (!lane) {
      lane = { normal: new TurnQueue(), suspect: new TurnQueue() };
      this.lanes.set(source, lane);
    }
    return lane;
  }

  /**
   * A job of `priority` from the next source in turn (which then goes to the back), of the login
   * name served least within it; or for shedding (`largest`), from the source with the most such jobs
   * waiting, the oldest of its name with the most.
   */
  private take(priority: keyof Lane, pick: 'turn' | 'largest'): Job | undefined {
    let chosen: [string, Lane] | undefined;
    for (const entry of this.lanes) {
      const waiting = entry[1][priority].size;
      if (waiting === 0) continue;
      if (pick === 'turn') {
        chosen = entry;
        break;
      }
      if (!chosen || waiting > chosen[1][priority].size) chosen = entry;
    }
    if (!chosen) return undefined;
    const [source, lane] = chosen;
    const job = pick === 'turn' ? lane[priority].takeTurn()! : lane[priority].takeLargest()!;
    this.waitingJobs--;
    this.lanes.delete(source);
    if (lane.normal.size + lane.suspect.size > 0) this.lanes.set(source, lane);
    return job;
  }

  private start(job: Job): void {
    this.running++;
    const started = this.now();
    job
      .run()
      .then(
        (value) => {
          this.learn(job.cost, this.now() - started);
          job.resolve(value as never);
        },
        job.reject,
      )
      .finally(() => {
        this.running--;
        this.next();
      });
  }

  private dequeued(job: Job): void {
    this.queuedMs = this.waiting === 0 ? 0 : this.queuedMs - job.share;
  }

  private drop(job: Job, why: 'deadline' | 'overload' | 'shutdown'): void {
    this.shed[why]++;
    job.reject(new RequestShed(why));
  }

  private estimate(cost: number): number {
    // Before the first hash of a cost: scrypt's time doubles with each step of cost; ~2 ms at 10.
    return this.estimates.get(cost) ?? 2 * 2 ** (cost - 10);
  }

  private learn(cost: number, ms: number): void {
    const previous = this.estimates.get(cost);
    this.estimates.set(cost, previous === undefined ? ms : previous + SMOOTHING * (ms - previous));
  }
}

/**
 * A privacyIDEA argon2 hash (m=100 MiB, t=9 by default: ~0.5 s) is estimated like scrypt at
 * 18 until its own time is learnt; it has its own entry, apart from every scrypt cost.
 */
const ARGON2_COST = 18.5;

/** The cost recorded in an encoded hash (`scrypt$14$…`); 14 when it cannot be read. */
function costOf(encoded: string): number {
  if (isPrivacyIdeaPinHash(encoded)) return ARGON2_COST;
  const cost = Number(encoded.split('$', 2)[1]);
  return Number.isInteger(cost) ? cost : 14;
}
