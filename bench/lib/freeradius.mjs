// FreeRADIUS 3.2 as the reference: bench/freeradius/ copied to a temporary directory with
// the ports and secret filled in and the bench's users appended, started in the
// foreground and single-threaded (-f -t).
import { spawn, execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FreeRadiusSmsLog } from './sms.mjs';
import { exitWithin, freeUdpPort, killOnExit, waitUntilAnswering } from './util.mjs';

const TEMPLATE = path.join(import.meta.dirname, '..', 'freeradius');

export function freeRadiusBinary() {
  try {
    return execFileSync('sh', ['-c', 'command -v freeradius || command -v radiusd']).toString().trim() || undefined;
  } catch {
    return undefined;
  }
}

function substitute(dir, values) {
  for (const name of readdirSync(dir, { recursive: true })) {
    const file = path.join(dir, name);
    if (!statSync(file).isFile()) continue;
    const text = readFileSync(file, 'utf8');
    const replaced = text.replace(/@@(\w+)@@/g, (m, key) => (key in values ? String(values[key]) : m));
    if (replaced !== text) writeFileSync(file, replaced);
  }
}

/**
 * @param {object} o
 * @param {string} o.dir an empty temporary directory
 * @param {string} o.secret
 * @param {Array<{name: string, password: string}>} o.users
 */
export async function startFreeRadius({ dir, secret, users }) {
  const binary = freeRadiusBinary();
  if (!binary) throw new Error('freeradius is not installed (apt-get install freeradius freeradius-utils)');
  cpSync(TEMPLATE, dir, { recursive: true });
  const papPort = await freeUdpPort();
  const otpPort = await freeUdpPort();
  substitute(dir, { DIR: dir, PAP_PORT: papPort, OTP_PORT: otpPort, SECRET: secret });
  appendFileSync(path.join(dir, 'users'), users.map((u) => `${u.name}\tCleartext-Password := "${u.password}"\n`).join(''));

  let output = '';
  const child = killOnExit(spawn(binary, ['-f', '-t', '-d', dir], { stdio: ['ignore', 'pipe', 'pipe'] }));
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  try {
    await waitUntilAnswering(papPort, Buffer.from(secret), { exited, name: 'FreeRADIUS' });
  } catch (err) {
    child.kill('SIGKILL');
    let log = '';
    try {
      log = readFileSync(path.join(dir, 'radius.log'), 'utf8');
    } catch {
      /* none */
    }
    throw new Error(`${err.message}\n${output}\n${log}`);
  }
  return {
    name: 'FreeRADIUS',
    pid: child.pid,
    papPort,
    otpPort,
    smsLog: new FreeRadiusSmsLog(path.join(dir, 'sms.log')),
    async stop() {
      child.kill('SIGTERM');
      if (!(await exitWithin(child, 5000))) child.kill('SIGKILL');
    },
  };
}
