// Runs a shell script against the checkout as a newcomer has it: the daemon started with
// `npm start` on the demo configuration (config/sms-otp-radiusd.yaml: fixed ports 1812, 1813,
// 5080, 9812, the store in the checkout's data/), then the script in the checkout.
//
// So that runs can sit beside other tests, everything runs in namespaces of its own (as root,
// like the rest of the suite): a network namespace (its own loopback: the fixed ports are
// free), a mount namespace (a fresh temporary directory is bound over data/, so the
// checkout's own data/ is neither read nor written) and a PID namespace (whatever the run
// leaves behind ends with it).
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT, tempDir } from './fs.js';

const run = promisify(execFile);

export interface SandboxRun {
  readonly stdout: string;
  readonly stderr: string;
  /** The daemon's output (JSON log lines). */
  readonly daemonLog: string;
  /** The text files the run left in data/, by name. */
  readonly data: Readonly<Record<string, string>>;
}

const HARNESS = String.raw`set -eu
ip link set lo up
mount --bind "$FRESH_DATA" "$CHECKOUT/data"
cd "$CHECKOUT"
set -m
$START_COMMAND > "$FRESH_DATA/daemon.log" 2>&1 &
for i in $(seq 150); do grep -q '"sms-otp-radiusd started"' "$FRESH_DATA/daemon.log" && break; sleep 0.2; done
grep -q '"sms-otp-radiusd started"' "$FRESH_DATA/daemon.log" || { cat "$FRESH_DATA/daemon.log" >&2; exit 3; }
status=0
bash "$SCRIPT" || status=$?
kill -TERM -- -$! || true
wait || true
exit $status
`;

/** Starts the daemon with `start` (the README's command), runs `script` with bash; rejects when it fails. */
export async function inCheckoutSandbox(start: string, script: string, timeoutMs = 90_000): Promise<SandboxRun> {
  const dir = tempDir('smsotp-sandbox-');
  const fresh = path.join(dir, 'data');
  const read = (name: string) => readFileSync(path.join(fresh, name), 'utf8');
  try {
    mkdirSync(fresh);
    writeFileSync(path.join(dir, 'script.sh'), script);
    writeFileSync(path.join(dir, 'harness.sh'), HARNESS);
    const env: NodeJS.ProcessEnv = { ...process.env, CHECKOUT: ROOT, FRESH_DATA: fresh, SCRIPT: path.join(dir, 'script.sh'), START_COMMAND: start };
    delete env.SMS_OTP_RADIUSD_CONFIG; // the commands find the checkout's configuration by themselves
    const args = ['--mount', '--net', '--pid', '--fork', '--kill-child', 'bash', path.join(dir, 'harness.sh')];
    const { stdout, stderr } = await run('unshare', args, { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }).catch((err: Error & { stdout?: string; stderr?: string }) => {
      let daemonLog = '';
      try {
        daemonLog = read('daemon.log');
      } catch {
        /* the daemon never started */
      }
      throw new Error(`${err.message}\nstdout:\n${err.stdout ?? ''}\nstderr:\n${err.stderr ?? ''}\ndaemon:\n${daemonLog}`);
    });
    const names = readdirSync(fresh).filter((name) => !/\.sqlite|\.key$/.test(name));
    return { stdout, stderr, daemonLog: read('daemon.log'), data: Object.fromEntries(names.map((name) => [name, read(name)])) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
