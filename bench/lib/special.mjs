// The rows that are not "rate + latency": memory with many open challenges, the soak,
// and the wrong-PIN flood (overload, then SIGTERM).
import { RadiusClient, TIMEOUT, sleep } from './client.mjs';
import { Tally, closedLoop, limitSource, pacedLoop } from './load.mjs';
import { Attr, Code, accessRequest, randomWrongPin, responseAttribute, statusServer } from './packets.mjs';
import { PeakRss, cpuSeconds, rssMb } from './proc.mjs';
import { fullLoginScenario, round1Scenario } from './rows.mjs';
import { collectGarbage } from './util.mjs';

const mb = (x) => `${x.toFixed(1)} MB`;

/**
 * RSS with many open challenges: round 1 (cost 10) over and over for the same users, with
 * sms.concurrent_challenges on so every challenge stays answerable, until `goal`
 * challenges or `budgetMs`. The growth is extrapolated to `goal` if the budget ran out first.
 */
export async function memoryRow(target, client, { users, goal, budgetMs, maxRate }) {
  const scenario = round1Scenario(client, { key: 'memory', label: 'memory', users, maxRate, concurrency: 64 });
  const source = limitSource(scenario.build(Math.min(goal, Math.ceil((maxRate * budgetMs) / 1000))), goal);
  collectGarbage();
  await sleep(1000); // let the previous row's garbage settle in the daemon too
  const before = rssMb(target.pid);
  const peak = new PeakRss(target.pid);
  peak.start();
  const cpu0 = cpuSeconds(target.pid);
  const gen = process.cpuUsage();
  const run = await closedLoop({ source, concurrency: 64, durationMs: budgetMs });
  await client.drain();
  const genUsed = process.cpuUsage(gen);
  const cpu = cpuSeconds(target.pid) - cpu0;
  const after = rssMb(target.pid);
  const created = run.tally.ok;
  const perGoal = created ? ((after - before) / created) * goal : NaN;
  const requests = run.tally.requests;
  return {
    key: 'memory',
    label: `memory: ${created} open challenges`,
    server: target.name,
    store: target.store,
    unit: 'req/s',
    rate: run.rate,
    ...run.tally.quantiles(),
    timeouts: run.tally.timeouts,
    lost: 0,
    requests,
    cpuPer1k: (cpu * 1000) / requests,
    peakRssMb: peak.stop(),
    genCpuPer1k: ((genUsed.user + genUsed.system) / 1e6 / requests) * 1000,
    notes: [
      `RSS ${mb(before)} → ${mb(after)} (${after >= before ? '+' : ''}${mb(after - before)})` +
        // Below 10 000 challenges the garbage collector's swings are larger than the growth.
        (created < goal && created >= 10_000 ? `, ≈ ${mb(perGoal)} per ${goal / 1000}k challenges (extrapolated)` : ''),
    ],
    memory: { before, after, created, perGoal },
  };
}

/**
 * The soak: full logins at a steady rate (half of saturation) for `minutes`; RSS sampled
 * every 10 s. A leak shows as growth from the first to the last sample.
 */
export async function soakRow(target, client, { users, otpFor, beforeRound1, rate, minutes, log }) {
  const durationMs = minutes * 60_000;
  const scenario = fullLoginScenario(client, { users, maxRate: rate, concurrency: 1, otpFor, beforeRound1 });
  const source = scenario.build(Math.ceil((rate * durationMs) / 1000) + 16);
  collectGarbage();
  const samples = [rssMb(target.pid)];
  const started = performance.now();
  const sampler = setInterval(() => {
    samples.push(rssMb(target.pid));
    const s = Math.round((performance.now() - started) / 1000);
    if (s % 60 < 10) log(`  soak ${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}  RSS ${mb(samples.at(-1))}`);
  }, 10_000);
  const cpu0 = cpuSeconds(target.pid);
  const gen = process.cpuUsage();
  const run = await pacedLoop({ source, rate, durationMs });
  const lost = await client.drain();
  clearInterval(sampler);
  samples.push(rssMb(target.pid));
  const genUsed = process.cpuUsage(gen);
  const cpu = cpuSeconds(target.pid) - cpu0;
  // Growth is counted from the sample at 10 s: the first seconds fill caches and pools.
  const start = samples[0];
  const first = samples[Math.min(1, samples.length - 1)];
  const last = samples.at(-1);
  const peak = Math.max(...samples);
  const requests = run.tally.requests;
  return {
    key: 'soak',
    label: `soak ${minutes} min, full logins`,
    server: target.name,
    store: target.store,
    unit: 'logins/s',
    rate: run.tally.count / (durationMs / 1000),
    ...run.tally.quantiles(),
    timeouts: run.tally.timeouts,
    lost,
    requests,
    cpuPer1k: (cpu * 1000) / requests,
    peakRssMb: peak,
    genCpuPer1k: ((genUsed.user + genUsed.system) / 1e6 / requests) * 1000,
    notes: [
      `paced at ${rate.toFixed(0)}/s; RSS at start ${mb(start)}, at 10 s ${mb(first)}, last ${mb(last)}, peak ${mb(peak)}, ` +
        `growth since 10 s ${last >= first ? '+' : ''}${mb(last - first)}`,
      ...Object.entries(run.tally.other).map(([k, v]) => `${v} ${k}`),
    ],
    soak: { start, first, last, peak, samples },
  };
}

/**
 * Overload: wrong PINs at `rate`/s (cost 14) for `floodMs` to the flood users, meanwhile
 * a Status-Server every 250 ms and one correct full login of another user at each of
 * `loginAtMs`. After the flood: how long until Status-Server is answered again; then a
 * refill burst so the queue is full again, SIGTERM, and the time until the daemon exits.
 * Whatever was not answered by then was never answered.
 */
export async function floodRow(daemon, { store, secret, floodUsers, loginUsers, sink, floodMs, rate, loginAtMs, recoveryMaxMs, refillMs, killAfterMs, log }) {
  const client = new RadiusClient({ port: daemon.port, secret, sockets: 32, timeoutMs: 5000 });
  await client.open();
  // Everything this row sends is built first.
  const floodPackets = Array.from({ length: Math.ceil((rate * (floodMs + refillMs)) / 1000) + 8 }, (_, i) =>
    accessRequest(client.signer, { user: floodUsers[i % floodUsers.length].name, password: randomWrongPin() }),
  );
  const probePackets = Array.from({ length: Math.ceil((floodMs + recoveryMaxMs + refillMs + killAfterMs) / 250) + 8 }, () => statusServer());
  const loginPackets = loginUsers.map((u) => accessRequest(client.signer, { user: u.name, password: u.pin }));

  const flood = { sent: 0, inTime: 0, late: 0, blocked: 0, tally: new Tally() };
  let fp = 0;
  const floodSource = {
    next() {
      if (fp >= floodPackets.length) return null;
      const packet = floodPackets[fp++];
      return (finish) => {
        flood.sent++;
        const ok = client.send(
          packet,
          (code, ms) => {
            if (code !== TIMEOUT) flood.inTime++;
            flood.tally.add(code === Code.AccessReject ? 'ok' : code === TIMEOUT ? 'timeout' : `code ${code}`, ms);
            finish('ok', ms);
          },
          performance.now(),
          () => flood.late++,
        );
        if (!ok) {
          flood.blocked++;
          setImmediate(() => finish('blocked', 0));
        }
      };
    },
  };

  collectGarbage();
  const t0 = performance.now();
  const since = () => performance.now() - t0;
  const probes = [];
  let pp = 0;
  const probeTimer = setInterval(() => {
    const record = { sentAt: since() };
    probes.push(record);
    if (pp < probePackets.length) {
      client.send(probePackets[pp++], (code, ms) => (code === TIMEOUT ? (record.timedOut = true) : (record.answeredMs = ms)), performance.now(), (ms) => (record.lateMs = ms));
    }
  }, 250);

  const logins = loginAtMs.map((at, i) => ({ at, user: loginUsers[i], packet: loginPackets[i] }));
  const loginTimers = logins.map((l) => setTimeout(() => runLogin(l), l.at));
  function runLogin(l) {
    const start = performance.now();
    sink.forget(l.user.phone);
    client.send(
      l.packet,
      (code, ms, response) => {
        if (code === TIMEOUT) return (l.challenge = 'timeout');
        if (code !== Code.AccessChallenge) return (l.challenge = `code ${code}`);
        l.challengeMs = ms;
        const state = responseAttribute(response, Attr.State);
        sink.onOtp(l.user.phone, (otp) => {
          if (otp === undefined) return (l.accept = 'no SMS');
          client.send(
            accessRequest(client.signer, { user: l.user.name, password: otp, state }),
            (code2) => {
              if (code2 === Code.AccessAccept) l.acceptMs = performance.now() - start;
              else l.accept = code2 === TIMEOUT ? 'timeout' : `code ${code2}`;
            },
            performance.now(),
            (late) => (l.acceptLateMs = late),
          );
        });
      },
      start,
      (late) => (l.challengeLateMs = late),
    );
  }

  const peak = new PeakRss(daemon.pid);
  peak.start();
  const cpu0 = cpuSeconds(daemon.pid);
  log(`  flood: ${rate}/s wrong PINs for ${floodMs / 1000} s`);
  const floodRun = pacedLoop({ source: floodSource, rate, durationMs: floodMs });
  await sleep(floodMs);
  const floodEnd = since();

  // Recovery: the first Status-Server sent after the flood that is answered in time.
  let recoveredMs;
  const recoveryUntil = performance.now() + recoveryMaxMs;
  while (recoveredMs === undefined && performance.now() < recoveryUntil) {
    await sleep(50);
    const p = probes.find((x) => x.sentAt >= floodEnd && x.answeredMs !== undefined);
    if (p) recoveredMs = p.sentAt + p.answeredMs - floodEnd;
  }

  log(`  flood: refill ${refillMs / 1000} s, then SIGTERM`);
  const refillRun = pacedLoop({ source: floodSource, rate, durationMs: refillMs });
  await sleep(refillMs);
  const peakMb = peak.stop();
  const cpu = cpuSeconds(daemon.pid) - cpu0;
  const exitMs = await daemon.stop(killAfterMs);
  const exitedAt = since();
  clearInterval(probeTimer);
  loginTimers.forEach(clearTimeout);
  await Promise.all([floodRun, refillRun]); // every request answered or timed out
  client.close();

  const never = flood.sent - flood.inTime - flood.late;
  const during = probes.filter((p) => p.sentAt < floodEnd);
  const count = (list, f) => list.filter(f).length;
  const probeLine =
    `Status-Server during flood ${count(during, (p) => p.answeredMs !== undefined)}/${during.length} answered in time, ` +
    `${count(during, (p) => p.lateMs !== undefined)} late; ` +
    `answering again ${recoveredMs === undefined ? `not within ${recoveryMaxMs / 1000} s` : `${(recoveredMs / 1000).toFixed(2)} s`} after the flood`;
  const loginLines = logins.map((l) => {
    const challenge = l.challengeMs !== undefined ? `${(l.challengeMs / 1000).toFixed(2)} s` : `${l.challenge ?? 'none'}${l.challengeLateMs ? ` (answered after ${(l.challengeLateMs / 1000).toFixed(1)} s)` : ''}`;
    const accept = l.acceptMs !== undefined ? `${(l.acceptMs / 1000).toFixed(2)} s` : l.challengeMs !== undefined ? `${l.accept ?? 'none'}${l.acceptLateMs ? ` (late ${(l.acceptLateMs / 1000).toFixed(1)} s)` : ''}` : '-';
    return `login at ${l.at / 1000} s: challenge ${challenge}, accept ${accept}`;
  });
  const exitLine = exitMs === undefined ? `SIGTERM: still running after ${killAfterMs / 1000} s, killed` : `SIGTERM → exit ${(exitMs / 1000).toFixed(2)} s`;
  const floodLine = `${flood.sent} wrong PINs sent: ${flood.inTime} answered in time, ${flood.late} late, ${never} never${flood.blocked ? `, ${flood.blocked} not sent (no Identifier)` : ''}`;
  return {
    key: 'flood',
    label: `wrong-PIN flood ${rate}/s (cost 14)`,
    server: daemon.name,
    store,
    unit: 'req/s',
    rate: flood.inTime / ((floodMs + refillMs) / 1000),
    ...flood.tally.quantiles(),
    timeouts: flood.sent - flood.inTime,
    lost: never,
    requests: flood.sent,
    cpuPer1k: (cpu * 1000) / flood.sent,
    peakRssMb: peakMb,
    genCpuPer1k: NaN,
    notes: [floodLine, probeLine, ...loginLines, exitLine],
    flood: { ...flood, tally: undefined, never, recoveredMs, exitMs, exitedAt, logins, probes: probes.length },
  };
}
