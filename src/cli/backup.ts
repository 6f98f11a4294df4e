// `sms-otp-radiusd backup FILE`: a consistent copy of an SQLite store, safe while the daemon
// runs and writes (SQLite's online backup API, through better-sqlite3's db.backup()).
import Database from 'better-sqlite3';
import { closeSync, existsSync, openSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig, resolveConfigPath } from '../config/load.js';
import { NotFoundError, RefusedError } from '../core/errors.js';
import { UsageError, type Io } from './output.js';

/** The whole store in one backup step: one read transaction, so the copy is of one instant. */
const ALL_PAGES = 0x7fffffff;

export function backupCommand(program: Command, io: Io): void {
  program
    .command('backup <file>')
    .description('copy the SQLite store to a new FILE while the daemon runs (the key file is not in it)')
    .action(async (file: string, _opts, cmd: Command) => {
      // Only the configuration is needed: no migration (a backup taken before an upgrade must
      // be of the old schema) and no key file (it is not read, and must not be created here).
      const config = loadConfig(resolveConfigPath(cmd.optsWithGlobals().config));
      const database = config.database;
      if (database.client !== 'sqlite') {
        throw new RefusedError('backup copies an SQLite store; this store is PostgreSQL: use pg_dump (docs/backup-upgrade.md)');
      }
      if (database.filename === ':memory:') throw new RefusedError('backup: the store is in memory (database.filename :memory:); there is nothing to copy');
      const target = path.resolve(file);
      const pages = await backupSqlite(path.resolve(database.filename), target);
      io.out(`backed up ${path.resolve(database.filename)} to ${target} (${pages} pages)`);
      io.out(`the key file ${path.resolve(config.secrets.keyfile)} is not in the backup: keep a copy of it apart; without it the backup cannot be read`);
    });
}

/** Copies the store at `source` into the new file `target`; resolves to the pages copied. */
async function backupSqlite(source: string, target: string): Promise<number> {
  if (!existsSync(source)) throw new NotFoundError(`backup: the store ${source} (database.filename) does not exist`);
  // Creating the file first, exclusively, makes "never overwrite" atomic; mode 0600 because
  // the copy holds sealed secrets and PIN hashes like the store itself.
  let fd: number;
  try {
    fd = openSync(target, 'wx', 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new UsageError(`backup: ${target} exists; a backup never overwrites a file: name a new one`);
    throw new UsageError(`backup: cannot create ${target}: ${code ?? (err as Error).message}`);
  }
  closeSync(fd);
  let db: Database.Database | undefined;
  try {
    // Read-write (though nothing is written) so that, with no daemon running, closing the last
    // connection removes the -wal and -shm files instead of leaving them owned by whoever ran this.
    db = new Database(source, { fileMustExist: true });
    const result = await db.backup(target, { progress: () => ALL_PAGES });
    return result.totalPages;
  } catch (err) {
    unlinkSync(target); // no half-written backup left behind to be mistaken for a good one
    throw err;
  } finally {
    db?.close();
  }
}
