// Where the bench reads the one-time passwords the servers "send".
import { spawn } from 'node:child_process';
import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { killOnExit } from './util.mjs';

/** The daemon's SMS: from the sink child process (sms-sink.mjs), latest code per phone. */
export class SmsSink {
  async start() {
    this.latest = new Map();
    this.waiters = new Map();
    this.received = 0;
    this.child = killOnExit(spawn(process.execPath, [path.join(import.meta.dirname, 'sms-sink.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] }));
    const lines = createInterface({ input: this.child.stdout });
    this.port = await new Promise((resolve, reject) => {
      lines.once('line', (line) => resolve(Number(line.split(' ')[1])));
      this.child.once('exit', (code) => reject(new Error(`SMS sink exited with ${code}`)));
    });
    lines.on('line', (line) => this.onSms(line));
    // One timer for all waiters: a code that has not come within 5 s is not coming.
    this.sweep = setInterval(() => {
      const now = performance.now();
      for (const [phone, w] of this.waiters) {
        if (now - w.since > 5000) {
          this.waiters.delete(phone);
          w.callback(undefined);
        }
      }
    }, 500);
  }

  get pid() {
    return this.child.pid;
  }

  onSms(line) {
    const space = line.indexOf(' ');
    const phone = line.slice(0, space);
    const otp = line.slice(space + 1);
    this.received++;
    const waiter = this.waiters.get(phone);
    if (waiter) {
      this.waiters.delete(phone);
      waiter.callback(otp);
    } else {
      this.latest.set(phone, otp);
    }
  }

  /** Forgets the last code of a phone: call before the request that makes the next one. */
  forget(phone) {
    this.latest.delete(phone);
    this.waiters.delete(phone);
  }

  /** Calls back with the next code for the phone (at once if it came already; undefined after 5 s without). */
  onOtp(phone, callback) {
    const otp = this.latest.get(phone);
    if (otp !== undefined) {
      this.latest.delete(phone);
      callback(otp);
    } else {
      this.waiters.set(phone, { callback, since: performance.now() });
    }
  }

  /** The last code sent to the phone, if any (for challenges created in bulk). */
  take(phone) {
    const otp = this.latest.get(phone);
    this.latest.delete(phone);
    return otp;
  }

  stop() {
    clearInterval(this.sweep);
    this.child.kill('SIGTERM');
  }
}

/**
 * FreeRADIUS's SMS: the linelog file "user 0xSTATE code", read incrementally. linelog
 * writes the line before the server sends the Access-Challenge, so reading the file when
 * the challenge arrives finds it.
 */
export class FreeRadiusSmsLog {
  constructor(file) {
    this.file = file;
    this.offset = 0;
    this.rest = '';
    this.byState = new Map();
    this.buffer = Buffer.alloc(1 << 20);
  }

  /** Reads what was appended since the last call (the file is kept open). */
  poll() {
    if (this.fd === undefined) {
      try {
        this.fd = openSync(this.file, 'r');
      } catch {
        return; // nothing written yet
      }
    }
    for (;;) {
      const n = readSync(this.fd, this.buffer, 0, this.buffer.length, this.offset);
      if (n <= 0) break;
      this.offset += n;
      const lines = (this.rest + this.buffer.toString('latin1', 0, n)).split('\n');
      this.rest = lines.pop();
      for (const line of lines) {
        const [, state, code] = line.split(' ');
        if (state) this.byState.set(state.toLowerCase(), code);
      }
    }
  }

  close() {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** The code sent with a State (a Buffer from the Access-Challenge), removed once taken. */
  take(state) {
    const key = `0x${state.toString('hex')}`;
    let code = this.byState.get(key);
    if (code === undefined) {
      this.poll();
      code = this.byState.get(key);
    }
    this.byState.delete(key);
    return code;
  }
}
