// sms-otp-radiusd under test: a throw-away store (SQLite file or PostgreSQL database),
// users enrolled through the dist/ API, and the daemon started as its own process.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPid } from './proc.mjs';
import { exitWithin, freeUdpPort, killOnExit, waitUntilAnswering } from './util.mjs';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
/**
 * The memory settings of the shipped systemd unit (NODE_OPTIONS, MALLOC_*), read
 * from the unit file itself so that the daemon is measured as it runs in production.
 */
function serviceEnvironment() {
  const unit = readFileSync(path.join(ROOT, 'systemd/sms-otp-radiusd.service'), 'utf8');
  const env = {};
  for (const [, key, value] of unit.matchAll(/^Environment="?(NODE_OPTIONS|MALLOC_[A-Z_]+)=(.*?)"?$/gm)) env[key] = value;
  // BENCH_DAEMON_NODE_OPTIONS: added to the unit's, e.g. `--import=/path/memlog.mjs` to log
  // the daemon's heap while a row runs.
  if (process.env.BENCH_DAEMON_NODE_OPTIONS) env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} ${process.env.BENCH_DAEMON_NODE_OPTIONS}`.trim();
  return env;
}

const PG_ADMIN_URL = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * The dist/ modules the bench needs. The daemon's internals are being moved around, so
 * the token administration is looked for where its source lives now (src/core or src/auth).
 */
export async function loadDist() {
  const candidates = ['app/token-admin', 'auth/token-admin'].filter((m) => existsSync(path.join(ROOT, 'dist', `${m}.js`)));
  // A stale dist/ file of a moved module stays behind after tsc: prefer the one whose source exists.
  candidates.sort((a, b) => Number(existsSync(path.join(ROOT, 'src', `${b}.ts`))) - Number(existsSync(path.join(ROOT, 'src', `${a}.ts`))));
  if (candidates.length === 0) throw new Error('dist/ has no token-admin.js: run `npm run build`');
  const load = (m) => import(pathToFileURL(path.join(ROOT, 'dist', `${m}.js`)).href);
  const [{ openRuntime }, { TokenAdmin }, { PinHasher }] = await Promise.all([
    load(existsSync(path.join(ROOT, 'src', 'main', 'runtime.ts')) ? 'main/runtime' : 'daemon/runtime'),
    load(candidates[0]),
    load('crypto/pin-hash'),
  ]);
  return { openRuntime, TokenAdmin, PinHasher };
}

/** A throw-away database on the local PostgreSQL server. */
async function createPgDatabase() {
  const { default: pg } = await import('pg');
  const name = `smsotp_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    /** The postmaster's pid (the parent of our backend), to find the server processes for the DB CPU column. */
    async postmasterPid() {
      const c = new pg.Client({ connectionString: url.toString() });
      await c.connect();
      try {
        const { rows } = await c.query('SELECT pg_backend_pid() AS pid');
        return parentPid(Number(rows[0].pid));
      } finally {
        await c.end();
      }
    },
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Runs `fn` over `items` with at most `parallel` at a time. */
async function eachLimited(items, parallel, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

let phoneCounter = 0;

/**
 * Users of one set: name, PIN and phone. `kdfCost` is the pin.kdf_cost their PINs are
 * hashed at. `sharedHash` hashes one PIN once for the whole set, at `kdfCost` even below
 * the setting's minimum of 10: for users whose PIN is checked only outside the timed part
 * (to open challenges for round 2 and the memory row), where enrolment and round-1 time
 * matter and the PIN cost does not.
 */
export function userSet(prefix, count, kdfCost, { sharedHash = false } = {}) {
  const users = Array.from({ length: count }, (_, i) => ({
    name: `${prefix}${i}`,
    pin: sharedHash ? `${prefix}pin` : `${prefix}pin${i}`,
    phone: `+1555${String(phoneCounter++).padStart(7, '0')}`,
  }));
  return Object.assign(users, { kdfCost, sharedHash, prefix });
}

/** Prepares the store (schema, gateway, settings, users) in `dir`, returns the config path and store handle. */
export async function prepareStore({ kind, dir, secret, smsPort, sets, dist, policies = 0, log = () => {} }) {
  mkdirSync(path.join(dir, 'scripts'), { recursive: true });
  const pg = kind === 'pg' ? await createPgDatabase() : undefined;
  const port = await freeUdpPort();
  const config = path.join(dir, 'bench.yaml');
  writeFileSync(
    config,
    [
      pg ? `database: { client: pg, url: "${pg.url}" }` : `database: { client: sqlite, filename: "${path.join(dir, 'store.sqlite')}" }`,
      `secrets: { keyfile: "${path.join(dir, 'encryption.key')}" }`,
      // reject_delay 0: measure the work, not the deliberate delay of a reject.
      // require_message_authenticator no: the bench's Access-Requests are unsigned (Status-Server is signed).
      `radius: { reject_delay: 0, listen: [ { host: 127.0.0.1, port: ${port} } ], ` +
        `clients: [ { name: bench, address: 127.0.0.1/32, secret: "${secret}", require_message_authenticator: no } ] }`,
      `providers: { script_directory: "${path.join(dir, 'scripts')}" }`,
      'log: { level: warn }',
      '',
    ].join('\n'),
  );

  // Created here so the runtime does not log (on stdout) that it created one.
  writeFileSync(path.join(dir, 'encryption.key'), `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  let rt;
  try {
    rt = await dist.openRuntime(config, { migrate: true, logLevel: 'warn' });
  } catch (err) {
    await pg?.drop();
    throw err;
  }
  try {
    await rt.store.gateways.set({
      identifier: 'bench',
      description: 'bench SMS sink',
      module: 'http',
      headers: {},
      options: { URL: `http://127.0.0.1:${smsPort}/`, to: '{phone}', text: '{otp}' },
    });
    await rt.store.settings.setMany([['sms.identifier', 'bench']]);
    // The flood and wrong-PIN rows fail the same tokens many times; they must not lock.
    await rt.store.settings.setMany([['token.default_maxfail', '1000']]);
    // Each bench user gets hundreds of SMS a minute: the flood limits (sms.limit.*) would turn
    // the challenge rows into rejects. Still counted (the cost stays in the measurement),
    // at rates no row reaches.
    await rt.store.settings.setMany([['sms.limit.phone', '999999/1s']]);
    await rt.store.settings.setMany([['sms.limit.user', '999999/1s']]);
    // A round 1 repeats the same user's PIN within seconds; with sms.resend_interval it would get
    // that user's fresh challenge again, without an SMS or a write (docs/behaviour.md, "Never
    // outlast the NAS"), and the round-1 and memory rows would measure that instead of a new challenge.
    await rt.store.settings.setMany([['sms.resend_interval', '0']]);
    for (const set of sets) {
      const started = performance.now();
      await enrollSet(rt, dist, set);
      log(`  enrolled ${set.length} users ${set.prefix}* at pin.kdf_cost ${set.kdfCost} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    await rt.store.settings.setMany([['pin.kdf_cost', '14']]); // back to the default for anything hashed later
    if (policies > 0) {
      const started = performance.now();
      await definePolicies(rt, policies);
      log(`  defined ${policies} policies in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
  } catch (err) {
    await rt.close();
    await pg?.drop();
    throw err;
  }
  await rt.close();
  return { config, port, pg };
}

async function enrollSet(rt, dist, set) {
  await rt.store.settings.setMany([['pin.kdf_cost', String(Math.max(10, set.kdfCost))]]);
  let pins = rt.pins;
  if (set.sharedHash) {
    const hash = rt.pins.hash(set[0].pin, set.kdfCost);
    pins = Object.create(rt.pins, { hash: { value: () => hash } });
  }
  const admin = new dist.TokenAdmin(rt.store, pins);
  await eachLimited(set, 8, (u) =>
    admin.enroll({ username: u.name, phone: u.phone, pin: u.pin, otpKeyHex: randomBytes(20).toString('hex'), serial: `B${u.name}` }),
  );
}

/**
 * --policies N: a site with N policies, as a large one might have, almost none of which match
 * the bench's users: per realm, per user, per NAS network (10.x.y.0/24), per directory group
 * (the bench has no groups) - and two that match every bench login (an SMS text for the NAS
 * `bench`, a Class for 127.0.0.0/8), so the overlay and the reply attributes are paid for too.
 */
async function definePolicies(rt, count) {
  const { validatePolicy } = await import(pathToFileURL(path.join(ROOT, 'dist/core/policies/policy.js')).href);
  const make = (i) => {
    if (i === 0) return { name: 'bench-text', scope: 'authentication', actions: [['smstext', '{otp}']], conditions: { client: ['bench'] } };
    if (i === 1) return { name: 'bench-class', scope: 'authorization', actions: [['reply_attribute', 'Class=bench']], conditions: { client: ['127.0.0.0/8'] } };
    const priority = 1 + (i % 9);
    switch (i % 4) {
      case 0: return { name: `realm-${i}`, scope: 'authentication', priority, actions: [['otppin', 'userstore']], conditions: { realm: [`realm${i}.example`] } };
      case 1: return { name: `user-${i}`, scope: 'authorization', priority, actions: [['deny', 'not here']], conditions: { user: [`someone${i}`] } };
      case 2: return { name: `nas-${i}`, scope: 'authorization', priority, actions: [['reply_attribute', `Filter-Id=acl-${i}`]], conditions: { client: [`10.${i >> 8}.${i & 255}.0/24`] } };
      default: return { name: `group-${i}`, scope: 'authorization', priority, actions: [['reply_attribute', `Class=group-${i}`]], conditions: { group: [`group${i}`] } };
    }
  };
  for (let i = 0; i < count; i++) await rt.store.policies.set(validatePolicy(make(i)));
}

/** Changes a store setting while the daemon runs (as the CLI would). */
export async function setSetting(dist, config, key, value) {
  const rt = await dist.openRuntime(config, { migrate: false, logLevel: 'warn' });
  try {
    await rt.store.settings.setMany([[key, String(value)]]);
  } finally {
    await rt.close();
  }
}

/** The bench's --cpu-prof DIR: bench/cpu-window.mjs preloaded, profiling the timed part of each row. */
function profilerArgs() {
  return process.env.SMS_OTP_BENCH_CPU_PROF_DIR ? [`--import=${path.join(ROOT, 'bench/cpu-window.mjs')}`] : [];
}

/**
 * Runs `body(start)` on a store prepared in `dir`; `start(options)` starts the daemon (as
 * startDaemon) when body is ready for it. When body fails the daemon's log tail is printed;
 * whatever happened, the daemon is stopped, the store dropped and `dir` removed.
 */
export async function inScratchStore({ dir, prepared, log }, body) {
  let daemon;
  const start = async (options) => (daemon = await startDaemon(options));
  try {
    return await body(start);
  } catch (err) {
    if (daemon) log(`daemon log (tail):\n${daemon.tail()}`);
    throw err;
  } finally {
    if (daemon?.running) await daemon.stop(15_000);
    await prepared.pg?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts `sms-otp-radiusd serve`; its log goes to a file in `dir`. */
export async function startDaemon({ dir, config, port, secret }) {
  const logFile = path.join(dir, 'daemon.log');
  const fd = openSync(logFile, 'a');
  const child = killOnExit(
    spawn(process.execPath, [...profilerArgs(), path.join(ROOT, 'bin/sms-otp-radiusd.js'), 'serve', '--config', config], {
      stdio: ['ignore', fd, fd],
      env: { ...process.env, ...serviceEnvironment() },
    }),
  );
  closeSync(fd);
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const tail = () => {
    try {
      const text = readFileSync(logFile, 'utf8');
      return text.slice(-4000);
    } catch {
      return '';
    }
  };
  try {
    await waitUntilAnswering(port, Buffer.from(secret), { exited, name: 'sms-otp-radiusd' });
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${err.message}\n${tail()}`);
  }
  return {
    name: 'sms-otp-radiusd',
    pid: child.pid,
    port,
    child,
    logFile,
    tail,
    logBytes: () => (existsSync(logFile) ? statSync(logFile).size : 0),
    /** Starts (`row` given) or stops the CPU profile of bench/cpu-window.mjs; nothing without --cpu-prof. */
    profile(row) {
      const dir = process.env.SMS_OTP_BENCH_CPU_PROF_DIR;
      if (!dir || exited()) return;
      if (row) writeFileSync(path.join(dir, 'next-row'), `${row}\n`);
      child.kill('SIGUSR2');
    },
    get running() {
      return !exited();
    },
    /** SIGTERM; resolves with the ms until it exited, or undefined if it had to be killed after `killAfterMs`. */
    async stop(killAfterMs = 30_000) {
      if (exited()) return 0;
      const t = performance.now();
      child.kill('SIGTERM');
      if (await exitWithin(child, killAfterMs)) return performance.now() - t;
      child.kill('SIGKILL');
      await exitWithin(child, 5000);
      return undefined;
    },
  };
}
