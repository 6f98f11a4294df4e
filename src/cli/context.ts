// What every command module gets from the program: a way to run with an open runtime.
import type { Command } from 'commander';
import type { Runtime } from '../daemon/runtime.js';

export type WithRuntime = <T>(cmd: Command, fn: (rt: Runtime) => Promise<T>) => Promise<T>;
