// One table row = one scenario measured twice: first at saturation (closed loop, a fixed
// number in flight, for a fixed time) for the rate, then open loop at 80 % of that rate
// for the latencies, timeouts and lost requests. Around both: the server's CPU time from
// /proc, its peak RSS, and the generator's own CPU time.
import { sleep } from './client.mjs';
import { closedLoop, outcomeOf, pacedLoop, poolSource, singleJob, userSource } from './load.mjs';
import { Attr, Code, accessRequest, randomState, randomWrongPin, responseAttribute, statusServer } from './packets.mjs';
import { PeakRss, cpuDelta, cpuOfAll, cpuSeconds, waitIdle } from './proc.mjs';
import { collectGarbage } from './util.mjs';

export const PACED_FRACTION = 0.8;

function cpuUsageSeconds(since) {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
}

/**
 * Measures one scenario against one server.
 * @param {object} target { name, pid, store, dbPids?: () => number[] }
 * @param {object} client RadiusClient for the target's port
 * @param {object} spec { key, label, unit, concurrency, maxRate, poolSize(rate, ms), build(count, phase) -> source }
 * @param {object} t { idleMs, warmMs, satMs, pacedMs }
 */
export async function measureRow(target, client, spec, t) {
  const notes = [];
  const peak = new PeakRss(target.pid);
  await waitIdle(target.pid, { maxMs: t.idleMs });
  // Warm-up (JIT, caches, connection pools), not counted.
  if (t.warmMs) {
    await closedLoop({ source: spec.build(spec.poolSize(spec.maxRate, t.warmMs), 'warm'), concurrency: spec.concurrency, durationMs: t.warmMs });
    await client.drain();
  }
  let satSource = spec.build(spec.poolSize(spec.maxRate, t.satMs), 'saturation');
  collectGarbage();
  peak.start();
  const cpu0 = cpuSeconds(target.pid);
  const db0 = target.dbPids ? cpuOfAll(target.dbPids()) : undefined;

  target.profile?.(`${spec.key}-${target.store ?? 'fr'}`);
  let gen = process.cpuUsage();
  const sat = await closedLoop({ source: satSource, concurrency: spec.concurrency, durationMs: t.satMs });
  // Cores used during saturation: who was the bottleneck? A generator near one core (Node
  // is single-threaded) caps the rate it can measure.
  const satGenSeconds = cpuUsageSeconds(gen);
  const satServerSeconds = cpuSeconds(target.pid) - cpu0;
  const satSeconds = Math.max(sat.windowMs, 1) / 1000;
  const satLost = await client.drain();
  let genSeconds = satGenSeconds;
  if (satGenSeconds / satSeconds > 0.8) {
    notes.push(`generator-bound at saturation (generator ${(satGenSeconds / satSeconds).toFixed(2)} cores, ` +
      `server ${(satServerSeconds / satSeconds).toFixed(2)} cores): the rate is a lower bound`);
  }
  satSource = undefined;
  if (sat.exhausted) notes.push(`saturation ran ${(sat.windowMs / 1000).toFixed(1)} s (pool used up)`);

  let paced;
  let pacedLost = 0;
  const pacedRate = sat.rate * PACED_FRACTION;
  if (pacedRate > 0) {
    const pacedSource = spec.build(spec.poolSize(pacedRate, t.pacedMs) + 1, 'paced'); // built outside the timed part
    collectGarbage();
    gen = process.cpuUsage();
    paced = await pacedLoop({ source: pacedSource, rate: pacedRate, durationMs: t.pacedMs });
    pacedLost = await client.drain();
    genSeconds += cpuUsageSeconds(gen);
    if (paced.skipped) notes.push(`${paced.skipped} paced requests not sent (no free user or pool used up)`);
    if (paced.maxLagMs > 20) notes.push(`generator fell ${paced.maxLagMs.toFixed(0)} ms behind schedule`);
  } else {
    notes.push('nothing answered at saturation: no paced run');
  }

  const cpu1 = cpuSeconds(target.pid);
  target.profile?.();
  const peakMb = peak.stop();
  const requests = sat.tally.requests + (paced?.tally.requests ?? 0);
  const jobs = paced?.tally ?? sat.tally;
  const other = { ...sat.tally.other };
  for (const [k, v] of Object.entries(paced?.tally.other ?? {})) other[k] = (other[k] ?? 0) + v;
  if (Object.keys(other).length) notes.push(`unexpected: ${Object.entries(other).map(([k, v]) => `${v} ${k}`).join(', ')}`);
  const per1k = (seconds) => (requests ? (seconds * 1000) / requests : NaN);
  return {
    key: spec.key,
    label: spec.label,
    server: target.name,
    store: target.store,
    unit: spec.unit,
    rate: sat.rate,
    ...jobs.quantiles(),
    timeouts: sat.tally.timeouts + (paced?.tally.timeouts ?? 0),
    lost: satLost + pacedLost,
    requests,
    cpuPer1k: per1k(cpu1 - cpu0),
    dbCpuPer1k: db0 ? per1k(cpuDelta(db0, cpuOfAll(target.dbPids()))) : undefined,
    peakRssMb: peakMb,
    genCpuPer1k: per1k(genSeconds),
    notes,
  };
}

/** How many jobs a run at `rate` for `ms` needs, with room for a faster server than expected. */
const poolFor = (rate, ms) => Math.ceil((rate * ms) / 1000 * 1.25) + 16;

// --- scenarios -------------------------------------------------------------------

export function statusScenario(client, { maxRate }) {
  return {
    key: 'status',
    label: 'Status-Server',
    unit: 'req/s',
    concurrency: 128,
    maxRate,
    poolSize: poolFor,
    build: (n) => poolSource(client, Array.from({ length: n }, () => statusServer()), Code.AccessAccept),
  };
}

/** Access-Request with a State nobody issued, for existing users: Access-Reject. */
export function unknownStateScenario(client, { users, maxRate }) {
  return {
    key: 'unknown-state',
    label: 'unknown State → reject',
    unit: 'req/s',
    concurrency: 128,
    maxRate,
    poolSize: poolFor,
    build: (n) =>
      poolSource(
        client,
        Array.from({ length: n }, (_, i) => accessRequest(client.signer, { user: users[i % users.length].name, password: '123456', state: randomState() })),
        Code.AccessReject,
      ),
  };
}

/** FreeRADIUS PAP: the users file's password, Access-Accept. */
export function papScenario(client, { users, maxRate }) {
  return {
    key: 'pap',
    label: 'PAP (users file)',
    unit: 'req/s',
    concurrency: 128,
    maxRate,
    poolSize: poolFor,
    build: (n) =>
      poolSource(
        client,
        Array.from({ length: n }, (_, i) => accessRequest(client.signer, { user: users[i % users.length].name, password: users[i % users.length].password })),
        Code.AccessAccept,
      ),
  };
}

/**
 * Per-user packet queues: `n` packets over the users, so a user-bound source never builds
 * one during the run.
 */
function queuePackets(users, n, build) {
  const per = Math.ceil(n / users.length);
  for (const u of users) u.queue = Array.from({ length: per }, () => build(u));
}

/** One request per job from the user's queue; the user is busy until it is answered. */
function userBoundSource(client, users, n, build, expected) {
  queuePackets(users, n, build);
  return userSource(users, (user, release) => {
    const packet = user.queue.pop();
    if (!packet) return null;
    return singleJob(client, packet, expected, release);
  });
}

/** One Access-Request per user with `password(u)`, answered with `expect`. `stateful`: a user is never in flight twice. */
function passwordScenario(client, { key, label, users, maxRate, concurrency, stateful, password, expect }) {
  const build = (u) => accessRequest(client.signer, { user: u.name, password: password(u) });
  return {
    key,
    label,
    unit: 'req/s',
    concurrency,
    maxRate,
    poolSize: poolFor,
    build: (n) =>
      stateful
        ? userBoundSource(client, users, n, build, expect)
        : poolSource(client, Array.from({ length: n }, (_, i) => build(users[i % users.length])), expect),
  };
}

/** Round 1: the PIN alone, Access-Challenge (and an SMS). */
export function round1Scenario(client, { key, label, users, maxRate, concurrency, stateful = true, password = (u) => u.pin }) {
  return passwordScenario(client, { key, label, users, maxRate, concurrency, stateful, password, expect: Code.AccessChallenge });
}

/** A wrong PIN (a different one each time): Access-Reject. */
export function wrongPinScenario(client, { users, maxRate, concurrency, stateful = true }) {
  return passwordScenario(client, {
    key: 'wrong-pin',
    label: 'wrong PIN → reject',
    users,
    maxRate,
    concurrency,
    stateful,
    password: randomWrongPin,
    expect: Code.AccessReject,
  });
}

/**
 * Round 2 from a list of prepared answers (State + OTP), each sent once. The warm-up takes
 * 2 % of them, saturation stops when `reserve` of them are left for the paced run.
 */
export function round2Scenario(client, { packets, reserve = 0.4 }) {
  let cursor = 0;
  const limits = {
    warm: () => Math.min(packets.length, cursor + Math.ceil(packets.length * 0.02)),
    saturation: () => Math.floor(packets.length * (1 - reserve)),
    paced: () => packets.length,
  };
  return {
    key: 'round2',
    label: 'round 2: State+OTP → accept',
    unit: 'req/s',
    concurrency: 128,
    maxRate: Infinity,
    poolSize: (rate, ms) => (Number.isFinite(rate) ? poolFor(rate, ms) : Infinity),
    build: (n, phase) => {
      const end = Math.min(limits[phase](), cursor + n);
      return {
        next: () => (cursor < end ? singleJob(client, packets[cursor++], Code.AccessAccept) : null),
      };
    },
  };
}

/**
 * The full login: round 1 (PIN), then round 2 with the State of the challenge and the
 * code of the SMS. `otpFor(user, state, callback)` delivers the code. Latency is the
 * whole login; it counts as two requests.
 */
export function fullLoginScenario(client, { users, maxRate, concurrency, otpFor, beforeRound1 = () => {} }) {
  const build = (u) => accessRequest(client.signer, { user: u.name, password: u.pin });
  const job = (user, release, packet) => (finish) => {
    const t0 = performance.now();
    const fail = (outcome, requests) => {
      release();
      finish(outcome, performance.now() - t0, requests);
    };
    beforeRound1(user);
    const sent = client.send(packet, (code, _ms, response) => {
      if (code !== Code.AccessChallenge) return fail(`round 1 ${outcomeOf(code, Code.AccessChallenge)}`, 1);
      const state = responseAttribute(response, Attr.State);
      otpFor(user, state, (otp) => {
        if (otp === undefined) return fail('no SMS', 1);
        const answer = accessRequest(client.signer, { user: user.name, password: otp, state });
        const ok = client.send(answer, (code2) => fail(outcomeOf(code2, Code.AccessAccept), 2));
        if (!ok) setImmediate(() => fail('no free Identifier', 1));
      });
    });
    if (!sent) setImmediate(() => fail('no free Identifier', 0));
  };
  return {
    key: 'full',
    label: 'full login (2 rounds)',
    unit: 'logins/s',
    concurrency,
    maxRate,
    poolSize: poolFor,
    build: (n) => {
      queuePackets(users, n, build);
      return userSource(users, (user, release) => {
        const packet = user.queue.pop();
        return packet ? job(user, release, packet) : null;
      });
    },
  };
}

/**
 * Creates challenges for round 2 outside the timed part: `count` round-1 requests over the
 * users in turn, for at most `budgetMs`. For the daemon count = users.length: each user
 * gets one challenge and answers it once, so no two requests ever race on a token.
 * `codeFor(user, state)` returns the code sent with the challenge.
 * Returns the round-2 packets.
 */
export async function precreateChallenges(client, { users, count, budgetMs, concurrency = 64, codeFor, settleMs = 200 }) {
  const issued = [];
  let i = 0;
  const source = {
    next() {
      if (i >= count) return null;
      const user = users[i++ % users.length];
      return singleJob(client, accessRequest(client.signer, { user: user.name, password: user.pin }), Code.AccessChallenge, (code, response) => {
        if (code === Code.AccessChallenge) issued.push({ user, state: responseAttribute(response, Attr.State) });
      });
    },
  };
  collectGarbage();
  await closedLoop({ source, concurrency, durationMs: budgetMs });
  await client.drain();
  await sleep(settleMs); // the last SMS lines
  const packets = [];
  for (const { user, state } of issued) {
    const otp = codeFor(user, state);
    if (otp !== undefined) packets.push(accessRequest(client.signer, { user: user.name, password: otp, state }));
  }
  return packets;
}
