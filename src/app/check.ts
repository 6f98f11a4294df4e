// `check`: is this node ready to serve? The configuration, the key file, the store and every
// definition in it are looked at the way `serve` would use them, and nothing is changed: no
// key file or SQLite file is created, no migration run, no key recorded, nothing sent. Used by
// the CLI's `check` command (and meant for the HTTP API too); every finding is one result.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { createSecureContext } from 'node:tls';
import type { Knex } from 'knex';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { readKeyFile, type KeyFile } from '../crypto/keyfile.js';
import { SecretBox } from '../crypto/secretbox.js';
import { requireDatabaseDirectory, storeOpenError } from '../store/open-errors.js';
import { describeFsError, isExpectedError } from '../errors.js';
import { checkDefinition } from '../gateways/parameters.js';
import { GatewayError } from '../gateways/provider.js';
import { GatewayRegistry } from '../gateways/registry.js';
import { isSecretEntry } from '../gateways/secrets.js';
import { ClientTable } from '../radius/clients.js';
import { loadDictionaries } from '../radius/dictionary.js';
import { compileAcceptAttributes } from '../radius/reply-attributes.js';
import { isSettingKey, normaliseSetting, resolveSettings } from '../settings/registry.js';
import { connect, describeDatabase } from '../store/connection.js';
import { GatewayRepository, type GatewayDefinition } from '../store/gateways.js';
import { KeyCheck, storeHoldsSealedData } from '../store/key-check.js';
import { migrationState, type MigrationState } from '../store/migrations.js';
import { SmtpServerRepository, type SmtpServerDefinition } from '../store/smtp-servers.js';
import { RealmRepository } from '../store/realms.js';
import { UserStoreRepository, type UserStoreDefinition } from '../store/userstores.js';
import { clientSecretWarnings, fileWarnings, MIN_CLIENT_SECRET_LENGTH } from './node-warnings.js';
import { probeServer } from './userstore-admin.js';

export type CheckStatus = 'ok' | 'note' | 'warn' | 'fail';

/** One finding. `note` is information (something happens at first start), `warn` is worth fixing, `fail` stops `serve`. */
export interface CheckResult {
  readonly check: string;
  readonly status: CheckStatus;
  readonly message: string;
}

/** An error as one line for a result: the operator's message, or the driver's first line. */
const reasonOf = (err: unknown) => (isExpectedError(err) ? err.message : ((err as Error)?.message ?? String(err)).split('\n')[0]!);

class Findings {
  readonly results: CheckResult[] = [];
  add(check: string, status: CheckStatus, message: string): void {
    this.results.push({ check, status, message });
  }
  ok = (check: string, message: string) => this.add(check, 'ok', message);
  note = (check: string, message: string) => this.add(check, 'note', message);
  warn = (check: string, message: string) => this.add(check, 'warn', message);
  fail = (check: string, message: string) => this.add(check, 'fail', message);
}

/** Checks the node configured in `configPath`; never throws for what it finds. */
export async function checkInstallation(configPath: string, env: NodeJS.ProcessEnv = process.env): Promise<CheckResult[]> {
  const f = new Findings();
  let config: Config;
  try {
    config = loadConfig(configPath, env);
    // The daemon builds its client table from this at start; what it refuses, refuse here.
    new ClientTable(config.radius.clients, { maxRequestTime: config.radius.max_request_time });
  } catch (err) {
    f.fail('config', reasonOf(err));
    return f.results; // nothing else can be found without the configuration
  }
  const listen = config.radius.listen.map((l) => (l.host.includes(':') ? `[${l.host}]:${l.port}` : `${l.host}:${l.port}`));
  const clients = config.radius.clients.length;
  f.ok('config', `${configPath} (${clients} client${clients === 1 ? '' : 's'}, listen ${listen.join(', ')})`);
  checkRadius(config, f);
  checkListenAddresses(config, f);
  checkHttpTls(config, f);
  await checkStoreAndKey(config, configPath, f);
  return f.results;
}

function checkRadius(config: Config, f: Findings): void {
  try {
    loadDictionaries(config.radius.dictionaries);
    const extra = config.radius.dictionaries;
    f.ok('dictionaries', extra.length ? `built in, and ${extra.join(', ')}` : 'built in (radius.dictionaries adds none)');
  } catch (err) {
    f.fail('dictionaries', reasonOf(err));
    return; // accept attributes name attributes of the dictionaries
  }
  try {
    compileAcceptAttributes(config.radius);
    const site = config.radius.accept_attributes.length;
    const own = config.radius.clients.filter((c) => c.accept_attributes).length;
    f.ok('accept attributes', `${site} for every NAS${own ? `, ${own} client${own === 1 ? '' : 's'} with their own` : ''}`);
  } catch (err) {
    f.fail('accept attributes', reasonOf(err));
  }
  const weak = clientSecretWarnings(config);
  for (const w of weak) f.warn(w.check, w.message);
  if (!weak.length) f.ok('radius clients', `every shared secret has at least ${MIN_CLIENT_SECRET_LENGTH} characters`);
}

/**
 * A listen address no interface of this machine has cannot be bound. Only a warning: a
 * floating address (keepalived) may arrive later, and the daemon names it when it cannot bind.
 */
function checkListenAddresses(config: Config, f: Findings): void {
  const own = new Set(
    Object.values(networkInterfaces())
      .flat()
      .map((i) => i?.address.split('%')[0]),
  );
  const wildcard = new Set(['0.0.0.0', '::']);
  const listen = [
    ...config.radius.listen.map((l, i) => ({ ...l, key: `radius.listen.${i}` })),
    ...(config.radius.accounting_listen ?? []).map((l, i) => ({ ...l, key: `radius.accounting_listen.${i}` })),
    ...(config.http?.listen ?? []).map((l, i) => ({ ...l, key: `http.listen.${i}` })),
  ];
  const foreign = listen.filter((l) => !wildcard.has(l.host) && !own.has(l.host));
  for (const l of foreign) {
    f.warn('listen', `${l.host} (${l.key}.host) is no address of this machine: serve cannot listen there until it is`);
  }
  if (!foreign.length) f.ok('listen', 'every address is one of this machine');
}

/** The HTTP front's certificate and key, read and paired as the listener will (nothing listens). */
function checkHttpTls(config: Config, f: Findings): void {
  const tls = config.http?.tls;
  if (!tls) return;
  for (const key of ['cert', 'key'] as const) {
    try {
      readFileSync(tls[key]);
    } catch (err) {
      f.fail('http tls', `http.tls.${key}: cannot read ${tls[key]}: ${describeFsError(err)}`);
      return;
    }
  }
  try {
    createSecureContext({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) });
    f.ok('http tls', `${tls.cert} with its key`);
  } catch (err) {
    f.fail('http tls', `http.tls: the certificate or key cannot be used: ${reasonOf(err)}`);
  }
}

/** What is known about the store once it has been looked at. */
interface StoreState {
  /** Open (read-only) with a schema, when there is a store to read. */
  knex?: Knex;
  migrations?: MigrationState;
  /** It holds data sealed with some key: a missing key file cannot be replaced by a new one. */
  used: boolean;
}

async function checkStoreAndKey(config: Config, configPath: string, f: Findings): Promise<void> {
  const state = await checkStore(config, configPath, f);
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

async function checkStore(config: Config, configPath: string, f: Findings): Promise<StoreState> {
  const { database } = config;
  if (database.client === 'sqlite') {
    if (database.filename === ':memory:') {
      f.note('store', ':memory: (database.filename): every start begins with an empty store');
      return { used: false };
    }
    try {
      requireDatabaseDirectory(database, configPath);
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
    f.fail('store', storeOpenError(database, err).message);
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

/** Settings, gateways, SMTP servers and what tokens name: only a store with a schema has them. */
async function checkContents(config: Config, state: StoreState, keyFile: KeyFile | undefined, f: Findings): Promise<void> {
  const knex = state.knex!;
  const tables = ['settings', 'sms_gateways', 'sms_gateway_options', 'smtp_servers', 'tokens'];
  for (const table of tables) if (!(await knex.schema.hasTable(table))) return; // an empty store: nothing defined yet
  const sections: Array<[string, () => Promise<void>]> = [
    ['settings', () => checkSettings(knex, f)],
    ['gateways', () => checkGateways(config, knex, keyFile, f)],
    ['smtp servers', () => checkSmtpServers(knex, keyFile, f)],
    ['tokens', () => checkTokenGateways(knex, f)],
    ['default gateway', () => checkDefaultGateway(knex, f)],
    ['userstores', () => checkUserStores(knex, keyFile, f)],
    ['realms', () => checkRealms(knex, f)],
  ];
  for (const [name, run] of sections) {
    try {
      await run();
    } catch (err) {
      // A store an older version set up may lack what this one reads until it is migrated.
      if (state.migrations?.pending.length) f.note(name, `not checked before the pending migrations are applied (${reasonOf(err)})`);
      else f.fail(name, `cannot read them from the store: ${reasonOf(err)}`);
    }
  }
}

async function checkSettings(knex: Knex, f: Findings): Promise<void> {
  const rows: Array<{ key: string; value: string }> = await knex('settings').select('key', 'value').orderBy('key');
  let bad = 0;
  for (const { key, value } of rows) {
    if (!isSettingKey(key)) {
      f.warn('setting', `${key}: stored, but this version knows no such setting and ignores it (written by a newer version?)`);
      continue;
    }
    let canonical: string;
    try {
      canonical = normaliseSetting(key, value);
    } catch (err) {
      bad++;
      f.fail('setting', `${reasonOf(err)}; correct it with 'setting set ${key} VALUE'`);
      continue;
    }
    if (canonical !== value) {
      bad++;
      const read = resolveSettings(new Map([[key, value]]))[key];
      f.fail('setting', `${key} is stored as '${value}', which the daemon reads as ${String(read)}; store it again with 'setting set ${key} ${canonical}'`);
    }
  }
  if (!bad) f.ok('settings', rows.length ? `${rows.length} stored, every one valid` : 'none stored: every setting has its default');
}

async function checkGateways(config: Config, knex: Knex, keyFile: KeyFile | undefined, f: Findings): Promise<void> {
  const rows: Array<{ identifier: string; module: string }> = await knex('sms_gateways').select('identifier', 'module').orderBy('identifier');
  if (!rows.length) {
    f.note('gateways', "none defined yet: 'gateway set ID --module MODULE --option KEY=VALUE ...'");
    return;
  }
  if (!keyFile) {
    f.note('gateways', `${rows.length} defined, not checked: their secrets need the store's key file`);
    return;
  }
  const box = new SecretBox(keyFile.keys.encryption);
  const gateways = new GatewayRepository(knex, box, Date.now, isSecretEntry);
  for (const s of await gateways.storedInClear()) {
    f.warn('gateway', `${s.identifier}: ${s.kind} ${s.key} is a secret stored in the clear (by an earlier version); serve and every CLI command on the store seal it`);
  }
  const smtpServers = new SmtpServerRepository(knex, box, Date.now);
  const context = { scriptDirectory: config.providers.script_directory, smtpServers };
  for (const { identifier, module } of rows) {
    let definition: GatewayDefinition | undefined;
    try {
      definition = await gateways.get(identifier);
    } catch (err) {
      f.fail('gateway', `${identifier} (${module}): cannot open its sealed options: ${reasonOf(err)}`);
      continue;
    }
    if (!definition) continue; // deleted meanwhile
    const problem = await gatewayProblem(definition, context, knex);
    if (problem) f.fail('gateway', `${identifier} (${module}): ${problem}`);
    else f.ok('gateway', `${identifier} (${module})`);
  }
}

/**
 * What `gateway set` would refuse about a stored definition, or undefined: the declared
 * limits, then the provider itself, built and closed again (it reads the files it names but
 * connects nowhere). An smtp gateway must name an SMTP server that exists.
 */
async function gatewayProblem(
  definition: GatewayDefinition,
  context: ConstructorParameters<typeof GatewayRegistry>[1],
  knex: Knex,
): Promise<string | undefined> {
  try {
    checkDefinition(definition);
    const provider = await GatewayRegistry.instantiate(definition, context);
    await provider.close();
  } catch (err) {
    return err instanceof GatewayError ? err.reason : reasonOf(err);
  }
  const server = definition.module === 'smtp' ? definition.options.SMTPIDENTIFIER : undefined;
  if (server && !(await knex('smtp_servers').where({ identifier: server }).first('identifier'))) {
    return `option SMTPIDENTIFIER names the SMTP server '${server}', which does not exist: 'smtpserver set ${server} --server HOST'`;
  }
  return undefined;
}

async function checkSmtpServers(knex: Knex, keyFile: KeyFile | undefined, f: Findings): Promise<void> {
  const rows: Array<{ identifier: string }> = await knex('smtp_servers').select('identifier').orderBy('identifier');
  if (!rows.length) return; // only smtp gateways need one, and they are checked for it
  if (!keyFile) {
    f.note('smtp servers', `${rows.length} defined, not checked: their passwords need the store's key file`);
    return;
  }
  const servers = new SmtpServerRepository(knex, new SecretBox(keyFile.keys.encryption), Date.now);
  for (const { identifier } of rows) {
    let server: SmtpServerDefinition | undefined;
    try {
      server = await servers.get(identifier);
    } catch (err) {
      f.fail('smtp server', `${identifier}: cannot open its sealed password: ${reasonOf(err)}`);
      continue;
    }
    if (!server) continue;
    const problem = smtpServerProblem(server);
    if (problem) f.fail('smtp server', `${identifier}: ${problem}`);
    else f.ok('smtp server', `${identifier} (${server.server}:${server.port})`);
  }
}

/** What `smtpserver set` refuses, and a CA file that cannot be read or is no certificate. */
function smtpServerProblem(server: SmtpServerDefinition): string | undefined {
  const host = server.server.replace(/^smtps:\/\//, '');
  if (!host) return `--server names no host: 'smtpserver set ${server.identifier} --server HOST'`;
  if (!(Number.isInteger(server.port) && server.port >= 1 && server.port <= 65535)) return `--port ${server.port} is not a port (1 to 65535)`;
  if (!(server.timeout >= 1 && server.timeout <= 300)) return `--timeout ${server.timeout} is not 1 to 300 seconds`;
  if (server.sender !== null && !/^[^@\s]+@[^@\s]+$/.test(server.sender)) return `--sender '${server.sender}' is not an email address`;
  if (server.caFile) {
    let pem: Buffer;
    try {
      pem = readFileSync(server.caFile);
    } catch (err) {
      return `--ca-file ${server.caFile} cannot be read (${(err as NodeJS.ErrnoException).code})`;
    }
    try {
      createSecureContext({ ca: pem });
    } catch (err) {
      return `--ca-file ${server.caFile} holds no usable PEM certificate (${reasonOf(err)})`;
    }
  }
  return undefined;
}

async function checkTokenGateways(knex: Knex, f: Findings): Promise<void> {
  const dangling: Array<{ gateway: string; n: number | string }> = await knex('tokens')
    .whereNotNull('gateway')
    .whereNotIn('gateway', knex('sms_gateways').select('identifier'))
    .groupBy('gateway')
    .select('gateway')
    .count({ n: '*' });
  for (const { gateway, n } of dangling) {
    const count = Number(n);
    f.fail(
      'tokens',
      `${count} token${count === 1 ? ' names' : 's name'} the gateway '${gateway}', which does not exist: ` +
        `'token set SERIAL --gateway OTHER' (see 'token list'), or define it with 'gateway set ${gateway} --module ...'`,
    );
  }
  if (!dangling.length) {
    f.ok('tokens', `${await countRows(knex('tokens'))} enrolled; every gateway they name exists`);
  }
}

async function checkDefaultGateway(knex: Knex, f: Findings): Promise<void> {
  const row: { value: string } | undefined = await knex('settings').where({ key: 'sms.identifier' }).first('value');
  if (row) {
    if (await knex('sms_gateways').where({ identifier: row.value }).first('identifier')) {
      f.ok('default gateway', `${row.value} (sms.identifier)`);
    } else {
      f.fail(
        'default gateway',
        `sms.identifier names the gateway '${row.value}', which does not exist: 'setting set sms.identifier ID' with one of 'gateway list', ` +
          `or define it with 'gateway set ${row.value} --module ...'`,
      );
    }
    return;
  }
  const count = await countRows(knex('tokens').whereNull('gateway'));
  if (count) {
    f.warn('default gateway', `sms.identifier is unset, and ${count} token${count === 1 ? ' names' : 's name'} no gateway of its own: they get no SMS; 'setting set sms.identifier ID'`);
  } else {
    f.note('default gateway', 'sms.identifier is unset: a token must name its own gateway (token enroll --gateway ID)');
  }
}

/**
 * Every user store, as the daemon would use it: a bind as the service account on each of its
 * servers and a look for the base DN (read-only). A user store none of whose servers answers
 * is a failure; one server down of several is worth a warning (logins go to the others).
 */
async function checkUserStores(knex: Knex, keyFile: KeyFile | undefined, f: Findings): Promise<void> {
  if (!(await knex.schema.hasTable('userstores'))) return;
  const rows: Array<{ identifier: string }> = await knex('userstores').select('identifier').orderBy('identifier');
  if (!rows.length) return; // tokens without a directory need none
  if (!keyFile) {
    f.note('userstores', `${rows.length} defined, not checked: their bind passwords need the store's key file`);
    return;
  }
  const userstores = new UserStoreRepository(knex, new SecretBox(keyFile.keys.encryption), Date.now);
  for (const { identifier } of rows) {
    let definition: UserStoreDefinition | undefined;
    try {
      definition = await userstores.get(identifier);
    } catch (err) {
      f.fail('userstore', `${identifier}: cannot open its sealed bind password: ${reasonOf(err)}`);
      continue;
    }
    if (!definition) continue; // deleted meanwhile
    const servers = await Promise.all(definition.uris.map((uri) => probeServer(definition, uri)));
    const down = servers.filter((s) => !s.ok).map((s) => `${s.uri}: ${s.detail}`);
    if (down.length === servers.length) f.fail('userstore', `${identifier}: no server can be used: ${down.join('; ')}`);
    else if (down.length) f.warn('userstore', `${identifier}: ${down.join('; ')} (logins use the other servers)`);
    else f.ok('userstore', `${identifier}: ${servers.map((s) => s.uri).join(', ')}: ${servers[0]!.detail}`);
  }
}

/** Every realm names a user store that exists; one realm at most is the default. */
async function checkRealms(knex: Knex, f: Findings): Promise<void> {
  if (!(await knex.schema.hasTable('realms'))) return;
  const realms = await new RealmRepository(knex, Date.now).list();
  if (!realms.length) return;
  const stores = new Set(((await knex('userstores').select('identifier')) as Array<{ identifier: string }>).map((r) => r.identifier));
  let bad = 0;
  for (const realm of realms) {
    if (stores.has(realm.userstore)) continue;
    bad++;
    f.fail('realm', `${realm.name} names the user store '${realm.userstore}', which does not exist: 'realm set ${realm.name} --userstore ID' (see 'userstore list')`);
  }
  const defaults = realms.filter((r) => r.isDefault).map((r) => r.name);
  if (defaults.length > 1) {
    bad++;
    f.fail('realm', `${defaults.join(', ')} are all the default realm; one at most: 'realm set REALM --userstore ID --default' on the one that should be`);
  }
  if (!bad) {
    const which = defaults.length ? `default ${defaults[0]}` : 'no default (a login without a realm is looked up in no user store)';
    f.ok('realms', `${realms.length} defined (${which}); every user store they name exists`);
  }
}

/** COUNT(*) as a number (PostgreSQL answers a string). */
async function countRows(query: Knex.QueryBuilder): Promise<number> {
  const rows = (await query.count({ n: '*' })) as Array<{ n: number | string }>;
  return Number(rows[0]?.n ?? 0);
}
