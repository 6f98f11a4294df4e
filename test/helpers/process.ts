// A long-running peer process: started, awaited until it prints that it is ready, its output
// kept for assertions and diagnostics, stopped with SIGTERM.
import { spawn, type SpawnOptions } from 'node:child_process';

export interface RunningProcess {
  output(): string;
  /**
   * The output once the pipe has been quiet for a moment. A peer that prints what it received
   * and then answers has written the line before we see the answer, but the pipe and the
   * socket are read in separate event-loop turns: read the record through this.
   */
  settledOutput(): Promise<string>;
  stop(): Promise<void>;
  /** Sends a signal (e.g. SIGHUP) to the running process. */
  signal(name: NodeJS.Signals): void;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited(): Promise<number | string>;
}

export async function startProcess(
  command: string,
  args: string[],
  ready: string,
  options: SpawnOptions & { name: string; timeoutMs?: number },
): Promise<RunningProcess> {
  let output = '';
  let lastData = Date.now();
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${options.name} did not start:\n${output}`)), options.timeoutMs ?? 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      lastData = Date.now();
      if (output.includes(ready)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${options.name} exited with ${code}:\n${output}`));
    });
  });
  return {
    output: () => output,
    async settledOutput() {
      const QUIET_MS = 25;
      do await new Promise((r) => setTimeout(r, QUIET_MS));
      while (Date.now() - lastData < QUIET_MS);
      return output;
    },
    signal: (name) => {
      child.kill(name);
    },
    exited: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode ?? child.signalCode!);
        child.once('exit', (code, signal) => resolve(code ?? signal!));
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
