// OpenVPN 2.6 with the openvpn-auth-radius plugin (Debian's openvpn, openvpn-auth-radius) as a
// real NAS: a server whose plugin authenticates and accounts against the daemon, and clients
// that log in with auth-user-pass or a static challenge. Loopback only: the tun devices are
// created but left unconfigured (ifconfig-noexec, route-noexec), so nothing on the host is
// routed through them; data channel offload is off, so no kernel module is needed.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './fs.js';
import { startProcess, type RunningProcess } from './process.js';

export const RADIUS_PLUGIN = '/usr/lib/openvpn/radiusplugin.so';

/** A CA, a server and a client certificate (EC P-256), valid for a day. */
export function makeCertificates(dir: string): void {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=test-ca');
  for (const [name, usage] of [['server', 'serverAuth'], ['client', 'clientAuth']] as const) {
    run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    writeFileSync(path.join(dir, `${name}.ext`), `extendedKeyUsage=${usage}\nkeyUsage=digitalSignature,keyAgreement\n`);
    run('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`);
  }
}

/** A tun device name of our own (at most 15 characters), so parallel runs never collide. */
const deviceName = (prefix: string) => `${prefix}${randomBytes(4).toString('hex')}`;

export interface OpenVpnServerOptions {
  readonly dir: string;
  readonly port: number;
  readonly radius: { readonly authPort: number; readonly acctPort: number; readonly secret: string };
}

/**
 * docs/nas.md's server.conf lines and radiusplugin.cnf, letter for letter
 * (test/unit/docs-examples.test.ts holds the page to them); a run swaps in its own paths,
 * ports and secret.
 */
const SERVER_CONF_FROM_DOCS = `# server.conf (besides dev, server, ca/cert/key, as usual)
plugin /usr/lib/openvpn/radiusplugin.so /etc/openvpn/radiusplugin.cnf
status /var/log/openvpn/status.log 1     # the plugin reads the traffic counters from it
status-version 1
`;
const PLUGIN_CONF_FROM_DOCS = `# /etc/openvpn/radiusplugin.cnf
NAS-Identifier=OpenVpn
Service-Type=5
Framed-Protocol=1
NAS-Port-Type=5
NAS-IP-Address=127.0.0.1
OpenVPNConfig=/etc/openvpn/server.conf
subnet=255.255.255.0
overwriteccfiles=false
server
{
acctport=1813
authport=1812
name=127.0.0.1
retry=1
wait=10
sharedsecret=the-shared-secret
}
`;

/** Replaces each [from, to]; a `from` the text lacks is an error, so the page cannot drift unseen. */
function swap(text: string, pairs: ReadonlyArray<readonly [string, string]>): string {
  return pairs.reduce((t, [from, to]) => {
    if (!t.includes(from)) throw new Error(`docs/nas.md's OpenVPN example no longer holds ${from}`);
    return t.replace(from, to);
  }, text);
}

/** The server and its plugin configuration, as docs/nas.md shows them; returns the running server. */
export async function startOpenVpnServer(o: OpenVpnServerOptions): Promise<RunningProcess> {
  const serverConf = path.join(o.dir, 'server.conf');
  const pluginConf = path.join(o.dir, 'radiusplugin.cnf');
  writeFileSync(
    serverConf,
    [
      `dev ${deviceName('ovs')}`, 'dev-type tun', 'disable-dco', 'ifconfig-noexec', 'route-noexec',
      'server 10.199.0.0 255.255.255.0', 'topology subnet', 'proto udp4', 'local 127.0.0.1', `port ${o.port}`,
      'ca ca.crt', 'cert server.crt', 'key server.key', 'dh none', 'keepalive 10 60', 'verb 3',
      swap(SERVER_CONF_FROM_DOCS, [
        ['/usr/lib/openvpn/radiusplugin.so', RADIUS_PLUGIN],
        ['/etc/openvpn/radiusplugin.cnf', pluginConf],
        ['/var/log/openvpn/status.log', 'status.log'],
      ]),
    ].join('\n'),
  );
  writeFileSync(
    pluginConf,
    swap(PLUGIN_CONF_FROM_DOCS, [
      ['OpenVPNConfig=/etc/openvpn/server.conf', `OpenVPNConfig=${serverConf}`],
      ['acctport=1813', `acctport=${o.radius.acctPort}`],
      ['authport=1812', `authport=${o.radius.authPort}`],
      ['sharedsecret=the-shared-secret', `sharedsecret=${o.radius.secret}`],
    ]),
  );
  return startProcess('openvpn', ['--config', serverConf, '--cd', o.dir], 'Initialization Sequence Completed', { cwd: o.dir, name: 'openvpn server' });
}

export interface OpenVpnClientOptions {
  readonly dir: string;
  readonly serverPort: number;
  /** Extra configuration lines (static-challenge, management, auth-user-pass with a file). */
  readonly lines: readonly string[];
  /**
   * Run on a pseudo-terminal, answering these console prompts in order ([prompt, answer]), as
   * a person would: OpenVPN then reads a static-challenge response itself.
   */
  readonly console?: ReadonlyArray<readonly [string, string]>;
}

export interface OpenVpnClient {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with 'connected', 'auth_failed' or 'exited' (whichever the log shows first), or 'timeout'. */
  outcome(timeoutMs?: number): Promise<'connected' | 'auth_failed' | 'exited' | 'timeout'>;
  /** SIGTERM; with explicit-exit-notify the server sees the disconnect at once. */
  stop(): Promise<void>;
}

export function startOpenVpnClient(o: OpenVpnClientOptions, name = 'client'): OpenVpnClient {
  const conf = path.join(o.dir, `${name}.conf`);
  writeFileSync(
    conf,
    [
      'client', `dev ${deviceName('ovc')}`, 'dev-type tun', 'disable-dco', 'ifconfig-noexec', 'route-noexec', 'proto udp4',
      `remote 127.0.0.1 ${o.serverPort}`, 'nobind', 'ca ca.crt', 'cert client.crt', 'key client.key', 'remote-cert-tls server',
      'auth-nocache', 'explicit-exit-notify 1', 'connect-retry-max 1', 'verb 3', ...o.lines, '',
    ].join('\n'),
  );
  const args = ['--config', conf, '--cd', o.dir];
  const child = o.console
    ? spawn('/usr/bin/python3', [path.join(ROOT, 'test/peers/console_answer.py'), 'openvpn', ...args], { cwd: o.dir, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn('openvpn', args, { cwd: o.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdin?.end(o.console?.map(([prompt, answer]) => `${prompt}\t${answer}\n`).join(''));
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    listeners.forEach((l) => l());
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  child.once('exit', () => listeners.forEach((l) => l()));
  const state = (): 'connected' | 'auth_failed' | 'exited' | undefined => {
    if (output.includes('Initialization Sequence Completed')) return 'connected';
    if (output.includes('AUTH_FAILED')) return 'auth_failed';
    if (child.exitCode !== null || child.signalCode !== null) return 'exited';
    return undefined;
  };
  return {
    child,
    output: () => output,
    outcome: (timeoutMs = 30_000) =>
      new Promise((resolve) => {
        const check = () => {
          const s = state();
          if (!s) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve(s);
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          resolve('timeout');
        }, timeoutMs);
        listeners.add(check);
        check();
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
