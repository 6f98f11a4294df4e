// ocserv (OpenConnect VPN server, Cisco AnyConnect compatible) as the NAS, authenticating
// through radcli against the daemon, and openconnect as the user at a terminal. openconnect
// --authenticate stops once the login is through (it prints the session cookie), so neither
// side needs a tun device or routes: only the TLS login dialog runs.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freeTcpPort } from './daemon.js';
import { ROOT, tempDir } from './fs.js';
import { startProcess, type RunningProcess } from './process.js';

export interface Ocserv {
  readonly url: string;
  /** openconnect's --servercert value for the throw-away certificate. */
  readonly pin: string;
  output(): string;
  stop(): Promise<void>;
}

export async function startOcserv(options: { radiusPort: number; secret: string; radiusTimeout?: number }): Promise<Ocserv> {
  const dir = tempDir('smsotp-ocserv-');
  // ocserv's workers run as nobody and connect to sec-mod's socket in here; the key and the
  // RADIUS secret stay 0600 (read by the main process and sec-mod, as root).
  chmodSync(dir, 0o755);
  const file = (name: string) => path.join(dir, name);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-keyout', file('server.key'), '-out', file('server.pem'),
  ], { stdio: 'ignore' });
  const publicKey = execFileSync('openssl', ['x509', '-in', file('server.pem'), '-pubkey', '-noout']);
  const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], { input: publicKey });
  const pin = `pin-sha256:${execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: der }).toString('base64')}`;
  // The secret lives in the servers file (mode 0600), never on a command line.
  writeFileSync(file('servers'), `127.0.0.1 ${options.secret}\n`, { mode: 0o600 });
  writeFileSync(file('radiusclient.conf'), [
    'nas-identifier ocserv-test',
    `authserver 127.0.0.1:${options.radiusPort}`,
    // No accounting here: ocserv sends none for an --authenticate login.
    `acctserver 127.0.0.1:${options.radiusPort + 1}`,
    `servers ${file('servers')}`,
    'dictionary /etc/radcli/dictionary',
    'default_realm',
    `radius_timeout ${options.radiusTimeout ?? 10}`,
    'radius_retries 1',
    'bindaddr 127.0.0.1',
    '',
  ].join('\n'));
  const port = await freeTcpPort();
  writeFileSync(file('ocserv.conf'), [
    `auth = "radius[config=${file('radiusclient.conf')},groupconfig=false]"`,
    'listen-host = 127.0.0.1',
    `tcp-port = ${port}`,
    'run-as-user = nobody',
    'run-as-group = nogroup',
    `socket-file = ${file('ocserv.sock')}`,
    'isolate-workers = false',
    `server-cert = ${file('server.pem')}`,
    `server-key = ${file('server.key')}`,
    'max-clients = 16',
    'max-same-clients = 0',
    'rate-limit-ms = 0',
    // No banning: the tests fail logins on purpose from 127.0.0.1.
    'max-ban-score = 0',
    'auth-timeout = 240',
    'cookie-timeout = 300',
    'keepalive = 32400',
    'dpd = 90',
    'try-mtu-discovery = false',
    'use-occtl = false',
    `pid-file = ${file('ocserv.pid')}`,
    'log-level = 2',
    'device = vpns',
    'ipv4-network = 192.168.99.0',
    'ipv4-netmask = 255.255.255.0',
    '',
  ].join('\n'));
  const server: RunningProcess = await startProcess('ocserv', ['--foreground', '--config', file('ocserv.conf')], 'sec-mod initialized', {
    name: 'ocserv',
  });
  return { url: `https://127.0.0.1:${port}/`, pin, output: () => server.output(), stop: () => server.stop() };
}

/** openconnect as a person at a terminal: read what it shows, type answers. */
export class OpenconnectLogin {
  private shown = '';
  /** Where the next wait starts reading (what was matched before is consumed). */
  private mark = 0;
  private readonly exit: Promise<number>;
  private readonly child;

  constructor(server: Ocserv, user: string) {
    this.child = spawn('/usr/bin/python3', [
      path.join(ROOT, 'test/peers/pty_dialog.py'), '--',
      'openconnect', '--authenticate', '--servercert', server.pin, '-u', user, server.url,
    ], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (c: Buffer) => (this.shown += c.toString()));
    this.child.stderr.on('data', (c: Buffer) => (this.shown += c.toString()));
    this.exit = new Promise((resolve) => this.child.once('exit', (code) => resolve(code ?? 1)));
  }

  /** Waits until the terminal shows `pattern` after what earlier waits consumed; returns that stretch. */
  async waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.shown.slice(this.mark);
      const match = pattern.exec(rest);
      if (match) {
        this.mark += match.index + match[0].length;
        return rest.slice(0, match.index + match[0].length);
      }
      if (Date.now() > until) throw new Error(`openconnect did not show ${pattern} within ${timeoutMs} ms; it showed:\n${this.shown}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Types a line and Enter (an empty line: just Enter). */
  type(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  async finish(timeoutMs = 15_000): Promise<{ code: number; shown: string }> {
    this.child.stdin.end();
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      this.exit,
      new Promise<number>((resolve) => {
        timer = setTimeout(() => {
          this.child.kill('SIGKILL');
          resolve(-1);
        }, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return { code, shown: this.shown };
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
