#!/usr/bin/env node
// Load benchmark: runs the daemon as its own process on loopback and measures throughput
// and latency of the RADIUS paths an operator cares about. Run on demand: `npm run bench`
// (options: --requests N per scenario, --concurrency N, --pg URL for a PostgreSQL store).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openRuntime } from '../dist/daemon/runtime.js';
import { TokenAdmin } from '../dist/auth/token-admin.js';
import { hotp } from '../dist/auth/hotp.js';
import { Attr, encodeAttribute, hidePassword, parsePacket, verifyResponse } from '../dist/radius/packet.js';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '32' },
    users: { type: 'string', default: '200' },
    pg: { type: 'string' },
    'kdf-cost': { type: 'string', default: '14' },
  },
});
const REQUESTS = Number(args.requests);
const CONCURRENCY = Number(args.concurrency);
const USERS = Number(args.users);
const SECRET = Buffer.from('bench-secret-0123456789');
const KEY = Buffer.from('3132333435363738393031323334353637383930', 'hex');
const root = path.resolve(import.meta.dirname, '..');

// --- an HTTP SMS gateway on loopback that keeps the last OTP per phone number
const lastOtp = new Map();
const gateway = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  lastOtp.set(url.searchParams.get('to'), url.searchParams.get('text'));
  res.end('OK');
});
await new Promise((r) => gateway.listen(0, '127.0.0.1', r));

// --- configuration, store and tokens
const dir = mkdtempSync(path.join(tmpdir(), 'smsotp-bench-'));
mkdirSync(path.join(dir, 'scripts'));
const port = await new Promise((resolve) => {
  const s = dgram.createSocket('udp4').bind(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const config = path.join(dir, 'bench.yaml');
writeFileSync(config, [
  args.pg ? `database: { client: pg, url: "${args.pg}" }` : `database: { client: sqlite, filename: "${path.join(dir, 'store.sqlite')}" }`,
  `secrets: { keyfile: "${path.join(dir, 'encryption.key')}" }`,
  // reject_delay 0: the benchmark measures work, not the deliberate delay of a reject.
  `radius: { reject_delay: 0, listen: [ { host: 127.0.0.1, port: ${port} } ], clients: [ { name: bench, address: 127.0.0.1/32, secret: "${SECRET}", require_message_authenticator: no } ] }`,
  `providers: { script_directory: "${path.join(dir, 'scripts')}" }`,
  'log: { level: warn }',
  '',
].join('\n'));

const rt = await openRuntime(config, { migrate: true, logLevel: 'warn' });
await rt.store.settings.set('pin.kdf_cost', args['kdf-cost']);
await rt.store.settings.set('sms.identifier', 'bench');
await rt.store.settings.set('token.default_maxfail', '1000');
await rt.store.gateways.set({
  identifier: 'bench', description: '', module: 'http', headers: {},
  options: { URL: `http://127.0.0.1:${gateway.address().port}/`, to: '{phone}', text: '{otp}' },
});
const admin = new TokenAdmin(rt.store, rt.pins);
const users = [];
for (let i = 0; i < USERS; i++) {
  const name = `user${i}`;
  await admin.enroll({ username: name, phone: `+1555${String(i).padStart(6, '0')}`, pin: `pin${i}`, otpKeyHex: KEY.toString('hex'), serial: `BENCH${i}` });
  users.push({ name, pin: `pin${i}`, phone: `+1555${String(i).padStart(6, '0')}`, counter: 0, busy: false });
}
await rt.close();

const daemon = spawn(process.execPath, [path.join(root, 'bin/sms-otp-radiusd.js'), 'serve', '--config', config], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((resolve, reject) => {
  let out = '';
  daemon.stdout.on('data', (c) => {
    out += c;
    if (out.includes('sms-otp-radiusd started')) resolve();
  });
  daemon.once('exit', (code) => reject(new Error(`daemon exited with ${code}`)));
  // log level warn hides 'started'; poll the port instead
  setTimeout(resolve, 3000);
});

// --- a RADIUS client: unique Identifier/Authenticator per request, one sweep timer for timeouts
const socket = dgram.createSocket('udp4');
await new Promise((r) => socket.bind(0, '127.0.0.1', r));
const pending = new Map();
let nextId = 0;
socket.on('message', (msg) => {
  const p = pending.get(msg[1]);
  if (!p) return;
  pending.delete(msg[1]);
  if (!verifyResponse(msg, p.authenticator, SECRET)) return p.resolve({ code: 'bad-authenticator' });
  const reply = parsePacket(msg);
  p.resolve({ code: reply.code, reply, ms: performance.now() - p.sent });
});
const sweep = setInterval(() => {
  const now = performance.now();
  for (const [id, p] of pending) if (now - p.sent > 10_000) { pending.delete(id); p.resolve({ code: 'timeout' }); }
}, 500);

function request(code, attrs) {
  return new Promise((resolve) => {
    let id;
    do id = nextId++ & 0xff; while (pending.has(id));
    const authenticator = randomBytes(16);
    const body = Buffer.concat(attrs.map(([type, value]) =>
      encodeAttribute(type, type === Attr.UserPassword ? hidePassword(Buffer.from(value), SECRET, authenticator) : Buffer.from(value))));
    const header = Buffer.alloc(20);
    header[0] = code;
    header[1] = id;
    header.writeUInt16BE(20 + body.length, 2);
    authenticator.copy(header, 4);
    pending.set(id, { authenticator, sent: performance.now(), resolve });
    socket.send(Buffer.concat([header, body]), port, '127.0.0.1');
  });
}

async function scenario(name, total, step) {
  const latencies = [];
  const outcomes = {};
  let issued = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, 250) }, async () => {
    while (issued < total) {
      issued++;
      const r = await step();
      outcomes[r.label] = (outcomes[r.label] ?? 0) + 1;
      if (r.ms !== undefined) latencies.push(r.ms);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (f) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(f * latencies.length))].toFixed(1) : '-');
  console.log(`${name.padEnd(34)} ${String(total).padStart(6)} req  ${(total / seconds).toFixed(0).padStart(6)} req/s  ` +
    `p50 ${q(0.5)} ms  p95 ${q(0.95)} ms  p99 ${q(0.99)} ms  max ${q(1)} ms  ${JSON.stringify(outcomes)}`);
}

const label = (r) => ({ 2: 'accept', 3: 'reject', 11: 'challenge' })[r.code] ?? String(r.code);
const take = () => {
  const u = users.find((x) => !x.busy) ?? users[Math.floor(Math.random() * users.length)];
  u.busy = true;
  return u;
};

console.log(`sms-otp-radiusd benchmark: ${args.pg ? 'PostgreSQL' : 'SQLite'} store, ${USERS} users, concurrency ${CONCURRENCY}, pin.kdf_cost ${args['kdf-cost']}`);
await scenario('Status-Server (store ping)', REQUESTS, async () => {
  // RFC 5997 requires a Message-Authenticator; build it like a client would.
  const { createHmac } = await import('node:crypto');
  return new Promise((resolve) => {
    let id;
    do id = nextId++ & 0xff; while (pending.has(id));
    const authenticator = randomBytes(16);
    const pkt = Buffer.concat([Buffer.from([12, id, 0, 38]), authenticator, Buffer.from([80, 18]), Buffer.alloc(16)]);
    createHmac('md5', SECRET).update(pkt).digest().copy(pkt, 22);
    pending.set(id, { authenticator, sent: performance.now(), resolve: (r) => resolve({ label: label(r), ms: r.ms }) });
    socket.send(pkt, port, '127.0.0.1');
  });
});
await scenario('wrong PIN (two scrypt checks)', Math.min(REQUESTS, 500), async () => {
  const u = take();
  const r = await request(1, [[Attr.UserName, u.name], [Attr.UserPassword, 'wrong-pin']]);
  u.busy = false;
  return { label: label(r), ms: r.ms };
});
await scenario('PIN+OTP in one request', Math.min(REQUESTS, 500), async () => {
  const u = take();
  const otp = hotp({ otpKey: KEY, hashlib: 'sha1', otplen: 6 }, u.counter);
  const r = await request(1, [[Attr.UserName, u.name], [Attr.UserPassword, `${u.pin}${otp}`]]);
  if (r.code === 2) u.counter++;
  u.busy = false;
  return { label: label(r), ms: r.ms };
});
await scenario('PIN → SMS → challenge → OTP (2 req)', Math.min(REQUESTS, 500), async () => {
  const u = take();
  const first = await request(1, [[Attr.UserName, u.name], [Attr.UserPassword, u.pin]]);
  if (first.code !== 11) { u.busy = false; return { label: `step1-${label(first)}` }; }
  const state = first.reply.attributes.find((a) => a.type === Attr.State).value;
  const second = await request(1, [[Attr.UserName, u.name], [Attr.UserPassword, lastOtp.get(u.phone)], [Attr.State, state]]);
  if (second.code === 2) u.counter = 0; // counter moved on server side; PIN+OTP scenario is over
  u.busy = false;
  return { label: label(second), ms: first.ms + second.ms };
});

clearInterval(sweep);
socket.close();
gateway.close();
daemon.kill('SIGTERM');
