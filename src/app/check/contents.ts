// What the store holds, read through its repositories: settings, the gateways tokens and the
// default name, then every definition (./definitions.ts). Only a store with a schema has them.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { Config } from '../../config/schema.js';
import type { KeyFile } from '../../crypto/keyfile.js';
import { SecretBox } from '../../crypto/secretbox.js';
import { isSecretEntry } from '../../gateways/secrets.js';
import { isSettingKey, normaliseSetting, resolveSettings } from '../../core/settings.js';
import { GatewayRepository } from '../../store/gateways.js';
import { RealmRepository } from '../../store/realms.js';
import { SettingRepository } from '../../store/settings.js';
import { SmtpServerRepository } from '../../store/smtp-servers.js';
import { RadiusServerRepository } from '../../store/radius-servers.js';
import { TokenRepository } from '../../store/tokens.js';
import { UserStoreRepository } from '../../store/userstores.js';
import { checkGateways, checkRealms, checkSmtpServers, checkUserStores } from './definitions.js';
import { reasonOf, type Findings } from './findings.js';
import { checkRadiusServers } from './radius-servers.js';
import type { StoreState } from './store.js';

/** The repositories `check` reads; `canOpen`: the key file opens what they hold sealed. */
export interface Contents {
  readonly settings: SettingRepository;
  readonly gateways: GatewayRepository;
  readonly smtpServers: SmtpServerRepository;
  readonly tokens: TokenRepository;
  readonly userstores: UserStoreRepository;
  readonly realms: RealmRepository;
  readonly radiusServers: RadiusServerRepository;
  readonly canOpen: boolean;
  /** A store set up by an older version may lack a table (user stores and realms came with 0008). */
  hasTable(table: string): Promise<boolean>;
}

function contentsOf(knex: Knex, keyFile: KeyFile | undefined): Contents {
  // Without the store's key nothing sealed is opened, only listed and counted: a box of a
  // random key stands in, and would open nothing.
  const box = new SecretBox(keyFile?.keys.encryption ?? randomBytes(32));
  return {
    settings: new SettingRepository(knex, Date.now),
    gateways: new GatewayRepository(knex, box, Date.now, isSecretEntry),
    smtpServers: new SmtpServerRepository(knex, box, Date.now),
    tokens: new TokenRepository(knex, box, Date.now),
    userstores: new UserStoreRepository(knex, box, Date.now),
    realms: new RealmRepository(knex, Date.now),
    radiusServers: new RadiusServerRepository(knex, box, Date.now),
    canOpen: keyFile !== undefined,
    hasTable: (table) => knex.schema.hasTable(table),
  };
}

/** Settings, gateways, SMTP servers and what tokens name: only a store with a schema has them. */
export async function checkContents(config: Config, state: StoreState, keyFile: KeyFile | undefined, f: Findings): Promise<void> {
  const knex = state.knex!;
  const tables = ['settings', 'sms_gateways', 'sms_gateway_options', 'smtp_servers', 'tokens'];
  for (const table of tables) if (!(await knex.schema.hasTable(table))) return; // an empty store: nothing defined yet
  const c = contentsOf(knex, keyFile);
  const sections: Array<[string, () => Promise<void>]> = [
    ['settings', () => checkSettings(c, f)],
    ['gateways', () => checkGateways(config, c, f)],
    ['smtp servers', () => checkSmtpServers(c, f)],
    ['tokens', () => checkTokenGateways(c, f)],
    ['default gateway', () => checkDefaultGateway(c, f)],
    ['userstores', () => checkUserStores(c, f)],
    ['realms', () => checkRealms(c, f)],
    ['radius servers', () => checkRadiusServers(c, f)],
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

async function checkSettings(c: Contents, f: Findings): Promise<void> {
  const rows = await c.settings.entries();
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

async function checkTokenGateways(c: Contents, f: Findings): Promise<void> {
  const dangling = await c.tokens.danglingGateways();
  for (const { gateway, count } of dangling) {
    f.fail(
      'tokens',
      `${count} token${count === 1 ? ' names' : 's name'} the gateway '${gateway}', which does not exist: ` +
        `'token set SERIAL --gateway OTHER' (see 'token list'), or define it with 'gateway set ${gateway} --module ...'`,
    );
  }
  if (!dangling.length) {
    f.ok('tokens', `${await c.tokens.count()} enrolled; every gateway they name exists`);
  }
}

async function checkDefaultGateway(c: Contents, f: Findings): Promise<void> {
  const value = (await c.settings.stored()).get('sms.identifier');
  if (value !== undefined) {
    if (await c.gateways.exists(value)) {
      f.ok('default gateway', `${value} (sms.identifier)`);
    } else {
      f.fail(
        'default gateway',
        `sms.identifier names the gateway '${value}', which does not exist: 'setting set sms.identifier ID' with one of 'gateway list', ` +
          `or define it with 'gateway set ${value} --module ...'`,
      );
    }
    return;
  }
  const count = await c.tokens.countWithoutGateway();
  if (count) {
    f.warn('default gateway', `sms.identifier is unset, and ${count} token${count === 1 ? ' names' : 's name'} no gateway of its own: they get no SMS; 'setting set sms.identifier ID'`);
  } else {
    f.note('default gateway', 'sms.identifier is unset: a token must name its own gateway (token enroll --gateway ID)');
  }
}
