// What the kernel knows about a server process: CPU time (all its threads) and memory.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

function statFields(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may contain spaces and parentheses: fields start after the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** utime + stime in seconds (the process's threads included), or undefined once it is gone. */
export function cpuSeconds(pid) {
  try {
    const f = statFields(pid);
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return undefined;
  }
}

function statusKb(pid, key) {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export const rssMb = (pid) => (statusKb(pid, 'VmRSS') ?? NaN) / 1024;
export const peakRssMb = (pid) => (statusKb(pid, 'VmHWM') ?? NaN) / 1024;

/** Resets VmHWM to the current RSS (clear_refs 5), so the peak is per row. False if not allowed. */
export function resetPeakRss(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * Samples VmRSS every `everyMs` as a fallback where clear_refs is not allowed, and
 * reports the larger of the sampled maximum and VmHWM since start().
 */
export class PeakRss {
  constructor(pid, everyMs = 250) {
    this.pid = pid;
    this.everyMs = everyMs;
  }

  start() {
    this.hwmReset = resetPeakRss(this.pid);
    this.max = rssMb(this.pid);
    this.timer = setInterval(() => {
      const now = rssMb(this.pid);
      if (now > this.max) this.max = now;
    }, this.everyMs);
  }

  stop() {
    clearInterval(this.timer);
    const hwm = this.hwmReset ? peakRssMb(this.pid) : NaN;
    return Number.isNaN(hwm) ? this.max : Math.max(hwm, this.max);
  }
}

/** The parent of a process, or undefined. */
export function parentPid(pid) {
  try {
    return Number(statFields(pid)[1]);
  } catch {
    return undefined;
  }
}

/**
 * The PostgreSQL server processes: the children of the postmaster (backends of every
 * database on that server, and its writers). Returns a function, as backends come and go.
 */
export function postgresProcesses(postmaster) {
  if (!postmaster) return () => [];
  return () => readdirSync('/proc').filter((p) => /^\d+$/.test(p) && parentPid(p) === postmaster).map(Number);
}

/** CPU seconds of a set of processes, per pid (for a before/after difference). */
export function cpuOfAll(pids) {
  const m = new Map();
  for (const pid of pids) {
    const s = cpuSeconds(pid);
    if (s !== undefined) m.set(pid, s);
  }
  return m;
}

/** CPU used between two cpuOfAll() snapshots; processes started in between count from zero. */
export function cpuDelta(before, after) {
  let total = 0;
  for (const [pid, s] of after) total += s - (before.get(pid) ?? 0);
  return total;
}

/**
 * Waits until the process uses less than `share` of a core over 250 ms (at most `maxMs`):
 * work left over from the previous row (FreeRADIUS cleans up answered requests
 * cleanup_delay seconds later) must not be billed to the next one.
 */
export async function waitIdle(pid, { share = 0.1, maxMs = 6000 } = {}) {
  const until = performance.now() + maxMs;
  for (;;) {
    const before = cpuSeconds(pid);
    await new Promise((resolve) => setTimeout(resolve, 250));
    const after = cpuSeconds(pid);
    if (before === undefined || after === undefined || (after - before) / 0.25 < share || performance.now() > until) return;
  }
}
