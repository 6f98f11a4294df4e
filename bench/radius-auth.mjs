#!/usr/bin/env node
// `npm run bench`: sms-otp-radiusd side by side with FreeRADIUS 3.2 on loopback.
// See bench/README.md for what each row measures. Progress goes to stderr, the result
// (details and one Markdown table) to stdout.
//
//   --store sqlite|pg|both   store(s) of the daemon (default both)
//   --quick                  short durations, a smoke run (~3 min with --soak 0)
//   --soak MINUTES           soak time, split over the stores (default 10; 1 with --quick; 0 skips)
//   --only ROW               one row (plus the references its ratios need): kdf, pap, status,
//                            unknown-state, round1-14, round1-10, round2, full, wrong-pin,
//                            memory, soak, flood
//   --cpu-prof DIR           the daemon writes a V8 CPU profile of each row's timed part into DIR
//                            bench/cpu-profile-top.mjs summarises one
//   --skip-freeradius        our rows only, no ratios (while working on one row)
//   --policies N             the store holds N policies (issue 21); the first two match every
//                            bench login, the rest none: what their number costs is round2 with
//                            --policies 1000 against --policies 2
//   --scale-factor F         the scale row's sizes (issue 25: 100k imported, 1M tokens, 10M audit
//                            rows, 100k challenges, 1k policies) times F, e.g. 0.05 while developing
//   --scale-pin-count N      tokens the scale row imports with PINs (default 100 000 × F; 300 with --quick)
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { RadiusClient } from './lib/client.mjs';
import { inScratchStore, loadDist, prepareStore, setSetting, userSet } from './lib/daemon.mjs';
import { freeRadiusBinary, startFreeRadius } from './lib/freeradius.mjs';
import { kdfRate } from './lib/kdf.mjs';
import { startNodeFloor } from './lib/node-floor-run.mjs';
import { closedLoop } from './lib/load.mjs';
import { cpuSeconds, postgresProcesses } from './lib/proc.mjs';
import {
  fullLoginScenario,
  measureRow,
  papScenario,
  precreateChallenges,
  round1Scenario,
  round2Scenario,
  statusScenario,
  unknownStateScenario,
  wrongPinScenario,
} from './lib/rows.mjs';
import { SmsSink } from './lib/sms.mjs';
import { floodRow, memoryRow, soakRow } from './lib/special.mjs';
import { scaleRows, scaleSizes } from './lib/scale.mjs';
import { renderTable } from './lib/table.mjs';

const ROWS = ['kdf', 'pap', 'status', 'unknown-state', 'round1-14', 'round1-10', 'round2', 'full', 'wrong-pin', 'memory', 'soak', 'flood', 'scale'];

const { values: args } = parseArgs({
  options: {
    store: { type: 'string', default: 'both' },
    quick: { type: 'boolean', default: false },
    soak: { type: 'string' },
    only: { type: 'string' },
    'cpu-prof': { type: 'string' },
    'skip-freeradius': { type: 'boolean', default: false },
    policies: { type: 'string', default: '0' },
    'scale-factor': { type: 'string', default: '1' },
    'scale-pin-count': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  process.stdout.write('usage: npm run bench -- [--store sqlite|pg|both] [--quick] [--soak MINUTES] [--only ROW] [--cpu-prof DIR] [--skip-freeradius] [--policies N] [--scale-factor F] [--scale-pin-count N]\n');
  process.exit(0);
}
if (args['cpu-prof']) {
  process.env.SMS_OTP_BENCH_CPU_PROF_DIR = path.resolve(args['cpu-prof']);
  mkdirSync(process.env.SMS_OTP_BENCH_CPU_PROF_DIR, { recursive: true });
}
if (!['sqlite', 'pg', 'both'].includes(args.store)) throw new Error('--store must be sqlite, pg or both');
if (args.only && !ROWS.includes(args.only)) throw new Error(`--only must be one of ${ROWS.join(', ')}`);
const STORES = args.store === 'both' ? ['sqlite', 'pg'] : [args.store];
if (!/^\d{1,5}$/.test(args.policies)) throw new Error('--policies takes a number of policies, e.g. 1000');
const POLICIES = Number(args.policies);
const SCALE_FACTOR = Number(args['scale-factor']);
if (!(SCALE_FACTOR > 0 && SCALE_FACTOR <= 1)) throw new Error('--scale-factor takes a number in (0, 1], e.g. 0.05');
if (args['scale-pin-count'] !== undefined && !/^\d{1,7}$/.test(args['scale-pin-count'])) throw new Error('--scale-pin-count takes a number of tokens');
const SCALE = scaleSizes(SCALE_FACTOR, { quick: args.quick, pinCount: args['scale-pin-count'] === undefined ? undefined : Number(args['scale-pin-count']) });

/** Durations: time-based, so a faster server gets more requests, not a shorter run. */
const T = args.quick
  ? { idleMs: 3000, warmMs: 300, satMs: 2000, pacedMs: 2000, kdfMs: 2000, precreateMs: 5000, r2Users: 6000, memoryMs: 6000,
      flood: { floodMs: 6000, loginAtMs: [2000, 4000], recoveryMaxMs: 5000, refillMs: 2000, killAfterMs: 15_000 } }
  : { idleMs: 6000, warmMs: 1000, satMs: 5000, pacedMs: 5000, kdfMs: 5000, precreateMs: 30_000, r2Users: 40_000, memoryMs: 100_000,
      flood: { floodMs: 20_000, loginAtMs: [5000, 12_000], recoveryMaxMs: 30_000, refillMs: 5000, killAfterMs: 30_000 } };
const SOAK_MINUTES = Number(args.soak ?? (args.quick ? 1 : 10));
const MEMORY_GOAL = 100_000;
/**
 * scrypt cost (log2 N) of the PINs of the users whose challenges are opened in bulk for
 * round 2 and the memory row: below the setting's minimum of 10 on purpose, written through
 * TokenAdmin with a precomputed hash. Round 2 never checks a PIN and the memory row
 * measures the challenges, so only the untimed preparation gets faster (seconds instead of
 * minutes of scrypt). The PIN rows use real cost-14 and cost-10 hashes.
 */
const R2_PIN_COST = 4;
const FLOOD_RATE = 200;
const SECRET = 'bench-secret-0123456789';
const SECRET_BUF = Buffer.from(SECRET);
/** Request rate no cheap row is expected to exceed on loopback: sizes the pre-built pools. */
const CHEAP_MAX_RATE = 60_000;

// The scale row compares itself with the round2 row of the same run.
const want = (row) => !args.only || args.only === row || (args.only === 'scale' && row === 'round2');
const loadAverage = () => loadavg()[0].toFixed(2);
const log = (line) => process.stderr.write(`${line}\n`);
const rows = [];
const details = [];
const dist = await loadDist();
const benchCpu = process.cpuUsage();

function report(row) {
  rows.push(row);
  log(`  ${row.label} [${row.server}${row.store ? `, ${row.store}` : ''}]: ${row.rate.toFixed(1)} ${row.unit}` +
    `${Number.isNaN(row.p50) ? '' : `, p50 ${row.p50.toFixed(2)} ms, p99 ${row.p99.toFixed(2)} ms`}` +
    `${row.timeouts ? `, ${row.timeouts} timeouts / ${row.lost} lost` : ''}${row.notes.length ? ` (${row.notes.join('; ')})` : ''}`);
}

// --- the machine's raw PIN-hash rate (always: it also sizes the cost-10 pools) -----------------
const loadAtStart = loadAverage();
if (loadAtStart > 0.5) log(`warning: load average ${loadAtStart} before the run: something else uses the CPU, figures will be noisy`);
log(`raw KDF rate (PinHasher, ${T.kdfMs / 1000} s per cost)`);
const kdf = {};
const kdfRows = {};
for (const cost of [14, 10]) {
  const r = await kdfRate(dist.PinHasher, cost, T.kdfMs);
  kdf[cost] = r.rate;
  kdfRows[cost] = { key: `kdf-${cost}`, label: `raw KDF, cost ${cost} (${r.inFlight} in flight)`, server: 'machine', unit: 'hash/s', rate: r.rate,
    p50: NaN, p99: NaN, max: NaN, cpuPer1k: r.cpuPer1k, notes: [] };
  report(kdfRows[cost]);
}
// No request bound by one PIN check can beat these; pools get headroom above them.
const KDF_MAX = { 14: kdf[14] * 2 + 20, 10: kdf[10] * 2 + 50 };

const sink = new SmsSink();
await sink.start();

// --- FreeRADIUS -------------------------------------------------------------------------------
let fullLoginRate; // ours, for the soak
if (args['skip-freeradius']) log('FreeRADIUS skipped (--skip-freeradius): no ratios');
else if (freeRadiusBinary()) await runFreeRadius();
else log('FreeRADIUS is not installed: its rows are skipped (apt-get install freeradius freeradius-utils)');

async function runFreeRadius() {
  const frWants = ['pap', 'status', 'unknown-state', 'round1', 'round2', 'full', 'wrong-pin'].filter((k) =>
    k === 'pap' || (k === 'round1' ? want('round1-14') || want('round1-10') : want(k)));
  const dir = mkdtempSync(path.join(tmpdir(), 'smsotp-bench-fr-'));
  const users = Array.from({ length: 1000 }, (_, i) => ({ name: `fr${i}`, password: `frpin${i}`, pin: `frpin${i}` }));
  log(`FreeRADIUS 3 (-f -t) in ${dir}`);
  const fr = await startFreeRadius({ dir, secret: SECRET, users });
  const target = { name: 'FreeRADIUS', pid: fr.pid };
  const pap = new RadiusClient({ port: fr.papPort, secret: SECRET_BUF, sockets: 32 });
  const otp = new RadiusClient({ port: fr.otpPort, secret: SECRET_BUF, sockets: 32 });
  await pap.open();
  await otp.open();
  try {
    const otpFor = (_user, state, callback) => callback(fr.smsLog.take(state));
    let round1Rate = 0;
    for (const key of frWants) {
      if (key === 'pap') report(await measureRow(target, pap, papScenario(pap, { users, maxRate: CHEAP_MAX_RATE }), T));
      if (key === 'status') report(await measureRow(target, pap, statusScenario(pap, { maxRate: CHEAP_MAX_RATE }), T));
      if (key === 'unknown-state') report(await measureRow(target, otp, unknownStateScenario(otp, { users, maxRate: CHEAP_MAX_RATE }), T));
      if (key === 'round1') {
        const row = await measureRow(target, otp, round1Scenario(otp, { key: 'round1', label: 'OTP round 1: PIN → challenge', users, maxRate: CHEAP_MAX_RATE, concurrency: 128, stateful: false }), T);
        round1Rate = row.rate;
        report(row);
      }
      if (key === 'round2') {
        // FreeRADIUS keeps no per-user state: users are cycled, one challenge per request.
        const count = Math.min(150_000, Math.ceil((round1Rate || 20_000) * ((T.satMs + T.pacedMs) / 1000) * 1.3));
        const packets = await precreateChallenges(otp, { users, count, budgetMs: T.precreateMs, concurrency: 128, codeFor: (_u, state) => fr.smsLog.take(state) });
        log(`  FreeRADIUS: ${packets.length} challenges prepared for round 2`);
        report(await measureRow(target, otp, round2Scenario(otp, { packets }), T));
      }
      if (key === 'full') report(await measureRow(target, otp, fullLoginScenario(otp, { users, maxRate: CHEAP_MAX_RATE / 2, concurrency: 128, otpFor }), T));
      if (key === 'wrong-pin') report(await measureRow(target, otp, wrongPinScenario(otp, { users, maxRate: CHEAP_MAX_RATE, concurrency: 128, stateful: false }), T));
    }
  } finally {
    pap.close();
    otp.close();
    fr.smsLog.close();
    await fr.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// --- the floor of a Node server: the same packet work, nothing else (bench/lib/node-floor.mjs) ---
if (want('status') || want('unknown-state')) {
  const floor = await startNodeFloor(SECRET);
  const client = new RadiusClient({ port: floor.port, secret: SECRET_BUF, sockets: 32 });
  await client.open();
  try {
    const target = { name: 'Node floor', pid: floor.pid };
    const users = [{ name: 'floor' }];
    if (want('status')) report(await measureRow(target, client, statusScenario(client, { maxRate: CHEAP_MAX_RATE }), T));
    if (want('unknown-state')) report(await measureRow(target, client, unknownStateScenario(client, { users, maxRate: CHEAP_MAX_RATE }), T));
  } finally {
    client.close();
    await floor.stop();
  }
}

// --- sms-otp-radiusd, per store ----------------------------------------------------------------
if (!['kdf', 'pap'].includes(args.only)) {
  for (const store of STORES) {
    await runDaemon(store);
    // Only when asked for: at full size it takes 10 minutes and more (100 000 PINs at cost 14: hours).
    if (args.only === 'scale') {
      const users = userSet(`${store}s2u`, T.r2Users, R2_PIN_COST, { sharedHash: true }); // as round 2's
      const reference = rows.find((r) => r.key === 'round2' && r.store === store);
      details.push(...(await scaleRows({ store, dist, sink, secret: SECRET, t: T, users, sizes: SCALE, reference, kdf14: kdf[14], report, log })));
    }
  }
}

async function runDaemon(store) {
  const needs = (...keys) => keys.some(want);
  const c14 = userSet(`${store}14u`, 64, 14); // round 1 at cost 14, wrong PIN, flood
  const c10 = userSet(`${store}10u`, 256, 10); // unknown State, round 1 at cost 10, full login, memory, soak
  const logins = userSet(`${store}login`, 2, 14); // the flood row's correct logins, never flooded
  // Round 2 and the memory row need many open challenges, made by round-1 requests outside
  // the timed part; PINs at cost 10 would make that minutes of scrypt. See R2_PIN_COST.
  const r2 = userSet(`${store}r2u`, T.r2Users, R2_PIN_COST, { sharedHash: true });
  const sets = [
    needs('round1-14', 'wrong-pin', 'flood') && c14,
    needs('unknown-state', 'round1-10', 'full', 'memory', 'soak') && c10,
    needs('flood') && logins,
    needs('round2', 'memory') && r2,
  ].filter(Boolean);

  const dir = mkdtempSync(path.join(tmpdir(), `smsotp-bench-${store}-`));
  log(`sms-otp-radiusd, ${store} store, in ${dir}`);
  const prepared = await prepareStore({ kind: store, dir, secret: SECRET, smsPort: sink.port, sets, dist, policies: POLICIES, log });
  await inScratchStore({ dir, prepared, log }, async (start) => {
    const daemon = await start({ dir, config: prepared.config, port: prepared.port, secret: SECRET });
    const pgProcesses = prepared.pg ? postgresProcesses(await prepared.pg.postmasterPid()) : undefined;
    const target = { name: 'sms-otp-radiusd', pid: daemon.pid, store, dbPids: pgProcesses, profile: (row) => daemon.profile(row) };
    const client = new RadiusClient({ port: daemon.port, secret: SECRET_BUF, sockets: 32 });
    await client.open();
    const otpFor = (user, _state, callback) => sink.onOtp(user.phone, callback);
    const beforeRound1 = (user) => sink.forget(user.phone);
    try {
      if (want('status')) report(await measureRow(target, client, statusScenario(client, { maxRate: CHEAP_MAX_RATE }), T));
      if (want('unknown-state')) report(await measureRow(target, client, unknownStateScenario(client, { users: c10, maxRate: CHEAP_MAX_RATE }), T));
      if (want('round1-14')) report(await measureRow(target, client, round1Scenario(client, { key: 'round1-14', label: 'round 1: PIN → SMS → challenge, cost 14', users: c14, maxRate: KDF_MAX[14], concurrency: 16 }), T));
      if (want('round1-10')) report(await measureRow(target, client, round1Scenario(client, { key: 'round1-10', label: 'round 1: PIN → SMS → challenge, cost 10', users: c10, maxRate: KDF_MAX[10], concurrency: 64 }), T));
      if (want('round2')) {
        const started = performance.now();
        const packets = await precreateChallenges(client, { users: r2, count: r2.length, budgetMs: T.precreateMs, codeFor: (u) => sink.take(u.phone) });
        log(`  ${packets.length} challenges prepared for round 2 in ${((performance.now() - started) / 1000).toFixed(1)} s`);
        report(await measureRow(target, client, round2Scenario(client, { packets }), T));
      }
      if (want('full')) {
        const row = await measureRow(target, client, fullLoginScenario(client, { users: c10, maxRate: KDF_MAX[10], concurrency: 64, otpFor, beforeRound1 }), T);
        fullLoginRate = row.rate;
        report(row);
      }
      if (want('wrong-pin')) report(await measureRow(target, client, wrongPinScenario(client, { users: c14, maxRate: KDF_MAX[14], concurrency: 16 }), T));
      if (want('soak') && SOAK_MINUTES > 0) {
        const minutes = SOAK_MINUTES / STORES.length;
        const rate = (await saturatedFullLoginRate(client, c10, otpFor, beforeRound1)) / 2;
        log(`  soak: ${minutes} min of full logins at ${rate.toFixed(0)}/s`);
        const row = await soakRow(target, client, { users: c10, otpFor, beforeRound1, rate, minutes, log });
        details.push(`soak (${store}): RSS every 10 s, MB: ${row.soak.samples.map((x) => x.toFixed(1)).join(' ')}`);
        report(row);
      }
      if (want('memory')) {
        // Each round 1 opens a challenge; with concurrent challenges every one stays answerable.
        await setSetting(dist, prepared.config, 'sms.concurrent_challenges', 'true');
        report(await memoryRow(target, client, { users: r2, goal: MEMORY_GOAL, budgetMs: T.memoryMs, maxRate: 5000 }));
      }
    } finally {
      client.close();
    }
    if (want('flood')) {
      const row = await floodRow(daemon, { store, secret: SECRET_BUF, floodUsers: c14, loginUsers: logins, sink, rate: FLOOD_RATE, log, ...T.flood });
      details.push(`flood (${store}): ${row.notes.join('; ')}`);
      report(row);
    }
  });
}

/** The full-login rate at saturation, from the full row if it ran, else a short probe. */
async function saturatedFullLoginRate(client, users, otpFor, beforeRound1) {
  if (fullLoginRate) return fullLoginRate;
  const scenario = fullLoginScenario(client, { users, maxRate: KDF_MAX[10], concurrency: 64, otpFor, beforeRound1 });
  const run = await closedLoop({ source: scenario.build(scenario.poolSize(KDF_MAX[10], 3000)), concurrency: 64, durationMs: 3000 });
  await client.drain();
  return run.rate;
}

// --- result -------------------------------------------------------------------------------------
// The KDF rate again: it moves with whatever else runs on the machine. The ratios use the
// better of the two (what the machine can do), both are shown.
for (const cost of [14, 10]) {
  const again = await kdfRate(dist.PinHasher, cost, T.kdfMs);
  const row = kdfRows[cost];
  row.notes.push(`at start ${row.rate.toFixed(1)}/s, at end ${again.rate.toFixed(1)}/s; the ratios use the higher`);
  row.rate = Math.max(row.rate, again.rate);
}
const sinkCpu = cpuSeconds(sink.pid) ?? NaN;
sink.stop();
const gen = process.cpuUsage(benchCpu);
const genTimed = rows.filter((r) => r.genCpuPer1k >= 0 && r.requests).reduce((s, r) => s + (r.genCpuPer1k * r.requests) / 1000, 0);
const requests = rows.filter((r) => r.genCpuPer1k >= 0 && r.requests).reduce((s, r) => s + r.requests, 0);
const out = [
  `# sms-otp-radiusd vs FreeRADIUS ${args.quick ? '(quick run)' : ''}`,
  '',
  `${new Date().toISOString()}, Node ${process.version}, ${availableParallelism()} cores; stores: ${STORES.join(', ')}; ` +
    `saturation ${T.satMs / 1000} s, paced ${T.pacedMs / 1000} s at 80 %; NAS timeout 5 s; ` +
    `load average ${loadAtStart} before, ${loadAverage()} after.`,
  `Generator CPU in the timed runs: ${genTimed.toFixed(2)} s for ${requests} requests (${((genTimed * 1000) / Math.max(1, requests)).toFixed(3)} s per 1k); ` +
    `whole bench process ${((gen.user + gen.system) / 1e6).toFixed(1)} s; SMS sink process ${sinkCpu.toFixed(1)} s.`,
  '',
  ...details.map((d) => `- ${d}`),
  '',
  renderTable(rows),
  '',
];
process.stdout.write(out.join('\n'));
