// A long-running peer process: started, awaited until it prints that it is ready, its output
// kept for assertions and diagnostics, stopped with SIGTERM.
import { spawn, type SpawnOptions } from 'node:child_process';

export interface RunningProcess {
  output(): string;
  stop(): Promise<void>;
}

export async function startProcess(
  command: string,
  args: string[],
  ready: string,
  options: SpawnOptions & { name: string; timeoutMs?: number },
): Promise<RunningProcess> {
  let output = '';
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${options.name} did not start:\n${output}`)), options.timeoutMs ?? 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
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
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
