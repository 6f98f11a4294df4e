// Starts bench/lib/node-floor.mjs (the bare Node responder) on a free port and waits until it answers.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exitWithin, freeUdpPort, killOnExit, waitUntilAnswering } from './util.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DIST = path.join(HERE, '..', '..', 'dist');

export async function startNodeFloor(secret) {
  const port = await freeUdpPort();
  // --cpu-prof DIR: the floor's whole life in one profile (node-floor-PID.cpuprofile, written at
  // its SIGTERM), to set beside the daemon's: what a bare responder spends per request.
  const dir = process.env.SMS_OTP_BENCH_CPU_PROF_DIR;
  const profiler = dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=node-floor-${port}.cpuprofile`] : [];
  const child = killOnExit(spawn(process.execPath, [...profiler, path.join(HERE, 'node-floor.mjs'), DIST, String(port), secret], { stdio: ['ignore', 'ignore', 'inherit'] }));
  await waitUntilAnswering(port, Buffer.from(secret), { exited: () => child.exitCode !== null, name: 'the Node floor responder' });
  return {
    port,
    pid: child.pid,
    stop: async () => {
      child.kill('SIGTERM');
      await exitWithin(child, 2000);
    },
  };
}
