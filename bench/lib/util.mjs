// Small helpers shared by the server launchers.
import dgram from 'node:dgram';
import v8 from 'node:v8';
import vm from 'node:vm';
import { RadiusClient, sleep } from './client.mjs';
import { Code, statusServer } from './packets.mjs';

/** A UDP port that was free a moment ago on 127.0.0.1. */
export function freeUdpPort() {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Polls with Status-Server until the server answers Access-Accept; throws after `timeoutMs`. */
export async function waitUntilAnswering(port, secret, { timeoutMs = 30_000, exited = () => false, name = 'server' } = {}) {
  const client = new RadiusClient({ port, secret, sockets: 1, timeoutMs: 200 });
  await client.open();
  try {
    const until = performance.now() + timeoutMs;
    while (performance.now() < until) {
      if (exited()) throw new Error(`${name} exited while starting`);
      const code = await new Promise((resolve) => client.send(statusServer(), (c) => resolve(c)));
      if (code === Code.AccessAccept) return;
      await sleep(100);
    }
    throw new Error(`${name} did not answer Status-Server within ${timeoutMs / 1000} s`);
  } finally {
    client.forgetZombies();
    client.close();
  }
}

/** Resolves with the child's exit, or undefined after `ms`. */
export function exitWithin(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

export { sleep };

/**
 * A full garbage collection, run after building a pool of packets and before the timed
 * part: otherwise the first young-generation collections of the run promote the freshly
 * built pool (tens of MB), pausing the generator for 20-40 ms and turning an even
 * schedule into bursts.
 */
export const collectGarbage = (() => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  return () => gc();
})();

// Children (servers, SMS sink) die with the bench, also when it fails or is interrupted.
const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

/** Kills `child` when the bench exits, whichever way. */
export function killOnExit(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
