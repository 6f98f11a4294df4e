// The store and the key file: the store answers, its schema is one this version knows, the
// key file exists (or may be created) and is the one the store was set up with. Read-only:
// nothing is created, migrated or recorded.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import type { Config } from '../../config/schema.js';
import { readKeyFile, type KeyFile } from '../../crypto/keyfile.js';
import { SecretBox } from '../../crypto/secretbox.js';
import { connect, describeDatabase } from '../../store/connection.js';
import { KeyCheck, storeHoldsSealedData } from '../../store/key-check.js';
import { migrationState, type MigrationState } from '../../store/migrations/index.js';
import { fileWarnings } from '../node-warnings.js';
import type { CheckPorts } from './config.js';
import { checkContents } from './contents.js';
import { reasonOf, type Findings } from './findings.js';

/** What is known about the store once it has been looked at. */
export interface StoreState {
  /** Open (read-only) with a schema, when there is a store to read. */
  knex?: Knex;
  migrations?: MigrationState;
  /** It holds data sealed with some key: a missing key file cannot be replaced by a new one. */
  used: boolean;
}

export async function checkStoreAndKey(config: Config, configPath: string, ports: CheckPorts['store'], f: Findings): Promise<void> {
  const state = await checkStore(config, configPath, ports, f);
  checkStoreFiles(config, f);
  try {
    const keyFile = checkKeyFile(config, state, f);
    if (!state.knex) return;
    let keyMatches = false;
    if (keyFile) {
      try {
        keyMatches = await checkKeyMatch(config, state.knex, keyFile, state, f);
      } catch (err) {
        f.fail('key check', `cannot read the store's key check: ${reasonOf(err)}`);
      }
    }
    await checkContents(config, state, keyMatches ? keyFile : undefined, f);
  } finally {
    await state.knex?.destroy();
  }
}

async function checkStore(config: Config, configPath: string, ports: CheckPorts['store'], f: Findings): Promise<StoreState> {
  const { database } = config;
  if (database.client === 'sqlite') {
    if (database.filename === ':memory:') {
      f.note('store', ':memory: (database.filename): every start begins with an empty store');
      return { used: false };
    }
    try {
      ports.requireDatabaseDirectory(database, configPath);
    } catch (err) {
      f.fail('store', reasonOf(err));
      return { used: false };
    }
    // Opening a missing SQLite file would create it: look first.
    if (!existsSync(database.filename)) {
      f.note('store', `${database.filename} does not exist yet; serve (or migrate) creates it`);
      return { used: false };
    }
  }
  const knex = connect(database, { readOnly: true });
  try {
    await knex.raw('select 1');
    const migrations = await migrationState(knex);
    const used = await storeHoldsSealedData(knex);
    f.ok('store', `${describeDatabase(database)} (${database.client === 'sqlite' ? 'SQLite' : 'PostgreSQL'}) answers`);
    reportMigrations(migrations, f);
    return { knex, migrations, used };
  } catch (err) {
    await knex.destroy();
    f.fail('store', ports.openError(database, err).message);
    return { used: false };
  }
}

function reportMigrations({ pending, unknown }: MigrationState, f: Findings): void {
  if (unknown.length) {
    f.fail(
      'migrations',
      `the store was upgraded by a newer sms-otp-radiusd (migrations ${unknown.join(', ')}); upgrade this installation to that version`,
    );
  } else if (pending.length) {
    f.note('migrations', `serve or migrate applies ${pending.length} migration${pending.length === 1 ? '' : 's'} (${pending.join(', ')})`);
  } else {
    f.ok('migrations', 'the schema is up to date');
  }
}

function checkKeyFile(config: Config, state: StoreState, f: Findings): KeyFile | undefined {
  const file = config.secrets.keyfile;
  let keyFile: KeyFile | undefined;
  try {
    keyFile = readKeyFile(file);
  } catch (err) {
    f.fail('key file', reasonOf(err));
    return undefined;
  }
  if (!keyFile) {
    const dir = path.dirname(file);
    if (state.used) {
      f.fail(
        'key file',
        `${file} does not exist, but the store ${describeDatabase(config.database)} already holds data sealed with a key: ` +
          'restore the key file from backup or point secrets.keyfile at a copy of the one the other nodes use',
      );
    } else if (!existsSync(dir)) {
      f.fail('key file', `${file}: its directory ${dir} does not exist (secrets.keyfile): create it (mkdir -m 700 ${dir}) or correct the path`);
    } else {
      f.note('key file', `${file} does not exist yet; created at first start (mode 0600): back it up then`);
    }
    return undefined;
  }
  const mode = (statSync(file).mode & 0o777).toString(8).padStart(4, '0');
  const owner = fileWarnings(config).filter((w) => w.check === 'key file');
  if (keyFile.looseMode) f.warn('key file', `${file} has mode ${mode}: group or others can read it; chmod 600 ${file}`);
  else if (!owner.length) f.ok('key file', `${file} (mode ${mode})`);
  for (const w of owner) f.warn(w.check, w.message);
  return keyFile;
}

/** The SQLite database and its -wal and -shm: readable by their owner alone (serve creates them 0600). */
function checkStoreFiles(config: Config, f: Findings): void {
  if (config.database.client !== 'sqlite' || !existsSync(config.database.filename)) return;
  const loose = fileWarnings(config).filter((w) => w.check === 'store files');
  for (const w of loose) f.warn(w.check, w.message);
  if (!loose.length) f.ok('store files', `${config.database.filename} and its -wal and -shm: readable by their owner alone`);
}

/** True when the key file can open the store's secrets (as far as the store tells). */
async function checkKeyMatch(config: Config, knex: Knex, keyFile: KeyFile, state: StoreState, f: Findings): Promise<boolean> {
  const verdict = await new KeyCheck(knex, new SecretBox(keyFile.keys.encryption)).compare();
  if (verdict === 'matched') {
    f.ok('key check', 'the key file is the one the store was set up with');
    return true;
  }
  if (verdict === 'mismatch') {
    f.fail(
      'key check',
      `secrets.keyfile ${config.secrets.keyfile} is not the key file this store was set up with; ` +
        'every daemon and CLI of a site must use a copy of the same key file',
    );
    return false;
  }
  if (state.used || (state.migrations && state.migrations.pending.length === 0)) {
    f.note('key check', 'the store has no key recorded yet; the next serve or CLI command records this key file');
  }
  return true;
}
