// Runs the real daemon and CLI as processes, the way an operator does.
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { BIN, tempDir } from './fs.js';
import { startProcess, type RunningProcess } from './process.js';

const execFileAsync = promisify(execFile);

export async function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/**
 * A free UDP port of at most four digits, for peers that cannot take more (openvpn-auth-radius
 * cuts authport and acctport to four characters). Tried at random in 2000-9999.
 */
export async function freeShortUdpPort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const candidate = 2000 + Math.floor(Math.random() * 8000);
    const socket = dgram.createSocket('udp4');
    const free = await new Promise<boolean>((resolve) => {
      socket.once('error', () => resolve(false));
      socket.bind(candidate, host, () => resolve(true));
    });
    if (free) {
      await new Promise<void>((resolve) => socket.close(() => resolve()));
      return candidate;
    }
    socket.close();
  }
  throw new Error('no free UDP port below 10000');
}

export async function freeTcpPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface DaemonOptions {
  database?: { client: 'sqlite' } | { client: 'pg'; url: string };
  secret?: string;
  dir?: string;
  listenHost?: string;
  /** The RADIUS port (default: a free one the kernel picks). */
  port?: number;
  clients?: Array<{ name: string; address: string; secret: string; [option: string]: unknown }>;
  /** More keys of the radius section, as YAML flow values, e.g. { reject_delay: '0' }. */
  radius?: Record<string, string>;
  /** Share another node's key file (nodes of one store must). */
  keyfile?: string;
  /** Turn on the metrics listener on 127.0.0.1: on this TCP port, or a free one (true). */
  metrics?: boolean | { port: number };
  /** The http section's keys, as YAML flow values, e.g. { listen: '[ { host: 127.0.0.1, port: 5080 } ]' }. */
  http?: Record<string, string>;
}

export interface TestDaemon {
  readonly dir: string;
  readonly keyfile: string;
  readonly config: string;
  readonly port: number;
  readonly host: string;
  readonly secret: string;
  /** http://127.0.0.1:PORT of the metrics listener, when it was turned on. */
  readonly metricsUrl?: string;
  logs(): string;
  cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Like cli but throws unless the command succeeds; returns stdout trimmed. */
  ok(...args: string[]): Promise<string>;
  /**
   * Like ok, for a change of the site's configuration (setting, gateway, smtpserver): also
   * waits until the running daemon has reloaded it, which must happen within a second.
   */
  configure(...args: string[]): Promise<string>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The running daemon's process (to signal it). */
  process(): RunningProcess | undefined;
}

export async function createDaemon(options: DaemonOptions = {}): Promise<TestDaemon> {
  const dir = options.dir ?? tempDir('smsotp-daemon-');
  const host = options.listenHost ?? '127.0.0.1';
  const port = options.port ?? (await freeUdpPort(host));
  const secret = options.secret ?? 'testing123';
  const database =
    options.database?.client === 'pg'
      ? `{ client: pg, url: "${options.database.url}" }`
      : `{ client: sqlite, filename: "${path.join(dir, 'store.sqlite')}" }`;
  const clients = options.clients ?? [
    { name: 'localhost', address: '127.0.0.1/32', secret },
    { name: 'localhost6', address: '::1/128', secret },
  ];
  const metricsPort = options.metrics === true ? await freeTcpPort() : options.metrics ? options.metrics.port : undefined;
  const config = path.join(dir, 'sms-otp-radiusd.yaml');
  writeFileSync(
    config,
    [
      `database: ${database}`,
      `secrets: { keyfile: "${options.keyfile ?? path.join(dir, 'encryption.key')}" }`,
      'radius:',
      `  listen: [ { host: "${host}", port: ${port} } ]`,
      '  clients:',
      ...clients.map((c) => `    - ${JSON.stringify(c)}`),
      ...Object.entries(options.radius ?? {}).map(([k, v]) => `  ${k}: ${v}`),
      ...(metricsPort === undefined ? [] : [`metrics: { listen: [ { host: 127.0.0.1, port: ${metricsPort} } ] }`]),
      ...(options.http ? ['http:', ...Object.entries(options.http).map(([k, v]) => `  ${k}: ${v}`)] : []),
      `providers: { script_directory: "${path.join(dir, 'scripts')}" }`,
      'log: { level: info }',
      '',
    ].join('\n'),
  );
  // The running daemon, and the last one (whose logs tests read after stopping it).
  let running: RunningProcess | undefined;
  let last: RunningProcess | undefined;

  const cli = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await execFileAsync(process.execPath, [BIN, ...args, '--config', config], { cwd: dir });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  };

  return {
    dir,
    keyfile: options.keyfile ?? path.join(dir, 'encryption.key'),
    config,
    port,
    host,
    secret,
    ...(metricsPort === undefined ? {} : { metricsUrl: `http://127.0.0.1:${metricsPort}` }),
    logs: () => (running ?? last)?.output() ?? '',
    cli,
    async ok(...args) {
      const r = await cli(...args);
      if (r.code !== 0) throw new Error(`CLI ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
      return r.stdout.trim();
    },
    async configure(...args) {
      const reloads = () => (running?.output().match(/site configuration reloaded/g) ?? []).length;
      const before = reloads();
      const r = await cli(...args);
      if (r.code !== 0) throw new Error(`CLI ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
      if (!running) return r.stdout.trim();
      const until = Date.now() + 1000;
      while (reloads() === before) {
        if (Date.now() > until) throw new Error(`the daemon did not reload the configuration within 1 s after: ${args.join(' ')}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // What the reload logs after its own line (warnings about the new settings) may still be
      // in the pipe: read until it is quiet.
      await running.settledOutput();
      return r.stdout.trim();
    },
    async start() {
      running = await startProcess(process.execPath, [BIN, 'serve', '--config', config], 'sms-otp-radiusd started', {
        cwd: dir,
        name: 'daemon',
      });
    },
    process: () => running,
    async stop() {
      if (running) last = running;
      running = undefined;
      await last?.stop();
    },
  };
}
