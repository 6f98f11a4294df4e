// The NAS side of the benchmark: several connected UDP sockets (256 Identifiers each, so
// the Identifier space never caps what is in flight), one sweep timer for all timeouts,
// and per request nothing but entries in preallocated per-socket arrays.
//
// A request not answered within the NAS timeout is reported as a timeout at once; its
// Identifier stays reserved so that a late answer is recognised (counted as late) instead
// of being taken for the answer to a newer request that reused the Identifier.
import dgram from 'node:dgram';
import { Signer } from './packets.mjs';

export const TIMEOUT = 'timeout';
const SWEEP_MS = 50;
const FREE = 0;
const LIVE = 1;
const TIMED_OUT = 2;

class Lane {
  constructor(socket) {
    this.socket = socket;
    this.free = Array.from({ length: 256 }, (_, k) => 255 - k);
    this.state = new Uint8Array(256);
    this.t0 = new Float64Array(256);
    this.packet = new Array(256).fill(null);
    this.done = new Array(256).fill(null);
    this.onLate = new Array(256).fill(null);
  }

  release(id) {
    this.state[id] = FREE;
    this.packet[id] = null;
    this.done[id] = null;
    this.onLate[id] = null;
    this.free.push(id);
  }
}

export class RadiusClient {
  /**
   * @param {object} o
   * @param {number} o.port server port on 127.0.0.1
   * @param {Buffer|string} o.secret shared secret
   * @param {number} [o.sockets] UDP sockets (x 256 Identifiers)
   * @param {number} [o.timeoutMs] NAS timeout
   */
  constructor({ port, secret, sockets = 8, timeoutMs = 5000 }) {
    this.port = port;
    this.signer = new Signer(secret);
    this.timeoutMs = timeoutMs;
    this.socketCount = sockets;
    this.lanes = [];
    this.live = 0; // sent, neither answered nor timed out
    this.zombies = 0; // timed out, Identifier still reserved for a late answer
    this.late = 0;
    this.unmatched = 0; // answers to nothing we wait for, or failing the authenticator check
    this.blocked = 0; // sends refused because every Identifier was in use
  }

  async open() {
    for (let i = 0; i < this.socketCount; i++) {
      const socket = dgram.createSocket('udp4');
      const lane = new Lane(socket);
      socket.on('message', (msg) => this.onMessage(lane, msg));
      // A connected socket reports ICMP port unreachable (server not up yet, or gone) as
      // ECONNREFUSED; for a NAS that is just a request without an answer.
      socket.on('error', (err) => {
        if (err.code !== 'ECONNREFUSED') throw err;
        this.refused = (this.refused ?? 0) + 1;
      });
      await new Promise((resolve) => socket.bind(0, '127.0.0.1', resolve));
      // Connected: no address lookup per send, and only the server's answers come in.
      await new Promise((resolve) => socket.connect(this.port, '127.0.0.1', resolve));
      try {
        socket.setRecvBufferSize(4 * 1024 * 1024); // bursts of answers must not be dropped here
      } catch {
        /* the kernel's limit applies */
      }
      this.lanes.push(lane);
    }
    this.sweepTimer = setInterval(() => this.sweep(), SWEEP_MS);
  }

  close() {
    clearInterval(this.sweepTimer);
    for (const { socket } of this.lanes) socket.close();
    this.lanes = [];
  }

  /**
   * Sends a prepared packet. `done(code, ms, response)` is called once: with the reply's
   * code and latency, or with TIMEOUT. `onLate(ms)` if an answer comes after the timeout.
   * Returns false (and sends nothing) when no Identifier is free.
   */
  send(packet, done, t0 = performance.now(), onLate = null) {
    // The first socket with a free Identifier: the others are for overflow only. Spreading
    // a few requests over many sockets halves the rate on loopback (every datagram becomes
    // its own wake-up instead of one read of a batch per socket).
    for (const lane of this.lanes) {
      const id = lane.free.pop();
      if (id === undefined) continue;
      packet.stamp(id, this.signer);
      lane.state[id] = LIVE;
      lane.t0[id] = t0;
      lane.packet[id] = packet;
      lane.done[id] = done;
      lane.onLate[id] = onLate;
      this.live++;
      lane.socket.send(packet.buf);
      return true;
    }
    this.blocked++;
    return false;
  }

  onMessage(lane, msg) {
    const id = msg[1];
    const state = lane.state[id];
    if (state === FREE || !this.signer.verifyResponse(msg, lane.packet[id].authenticator)) {
      this.unmatched++;
      return;
    }
    const ms = performance.now() - lane.t0[id];
    const done = lane.done[id];
    const onLate = lane.onLate[id];
    lane.release(id);
    if (state === TIMED_OUT) {
      this.zombies--;
      this.late++;
      onLate?.(ms);
      return;
    }
    this.live--;
    done(msg[0], ms, msg);
  }

  sweep() {
    const now = performance.now();
    for (const lane of this.lanes) {
      for (let id = 0; id < 256; id++) {
        if (lane.state[id] === LIVE && now - lane.t0[id] > this.timeoutMs) {
          lane.state[id] = TIMED_OUT;
          this.live--;
          this.zombies++;
          lane.done[id](TIMEOUT, now - lane.t0[id], undefined);
        }
      }
    }
  }

  /** Gives up on every timed-out request: their Identifiers become free. Returns how many. */
  forgetZombies() {
    let lost = 0;
    for (const lane of this.lanes) {
      for (let id = 0; id < 256; id++) {
        if (lane.state[id] === TIMED_OUT) {
          lane.release(id);
          lost++;
        }
      }
    }
    this.zombies = 0;
    return lost;
  }

  /**
   * Waits until nothing is live (answered or timed out), then up to `graceMs` more for
   * late answers. Returns the number of requests that were never answered (lost).
   */
  async drain(graceMs = 1000) {
    while (this.live > 0) await sleep(SWEEP_MS);
    const until = performance.now() + graceMs;
    while (this.zombies > 0 && performance.now() < until) await sleep(SWEEP_MS);
    return this.forgetZombies();
  }
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
