// What every command module gets from the program: a way to run with the application layer
// on an open store (src/main/session.ts builds it).
import type { Command } from 'commander';
import type { Admin } from '../main/admin.js';

export type WithAdmin = <T>(cmd: Command, fn: (admin: Admin) => Promise<T>) => Promise<T>;
