// One CLI command's objects: the runtime (config, keys, store, log to stderr) and the
// application layer on it, closed when the command ends.
import { buildAdmin, type Admin } from './admin.js';
import { openRuntime } from './runtime.js';

/** Runs `fn` with the application layer on a migrated store, and closes the store after. */
export async function withAdmin<T>(configFlag: string | undefined, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const rt = await openRuntime(configFlag, { migrate: true, cli: true });
  try {
    return await fn(buildAdmin(rt));
  } finally {
    await rt.close();
  }
}

/** `migrate`: applies pending migrations; resolves to their names (none: the schema was up to date). */
export async function migrateStore(configFlag: string | undefined): Promise<string[]> {
  const rt = await openRuntime(configFlag, { migrate: false, cli: true });
  try {
    return await rt.store.migrate();
  } finally {
    await rt.close();
  }
}
