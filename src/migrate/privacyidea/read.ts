// Reads a privacyIDEA 3.x database (models/*.py of 3.13) into a PiSnapshot: tokens with their
// info, owner and realms, realms and resolvers, SMS gateways, SMTP servers, the system config,
// and the names of policies and event handlers. Token keys and passwords are decrypted with
// the key file here; the database is only read.
import type { Knex } from 'knex';
import { CONFIG_KEY, TOKEN_KEY, type PiEncKey } from './enckey.js';
import type { PiGateway, PiOtpKey, PiOwner, PiRealm, PiResolver, PiSmtpServer, PiSnapshot, PiToken } from './model.js';
import { readPasswdUsers, type PasswdUser } from './passwd.js';

type Row = Record<string, unknown>;

export interface ReadOptions {
  /** Where relative resolver file names (passwd resolvers) are looked for. */
  readonly resolverDir: string;
}

export async function readPrivacyIdea(db: Knex, enckey: PiEncKey, options: ReadOptions): Promise<PiSnapshot> {
  const realmRows: Row[] = await db('realm').select('id', 'name', 'default');
  const realmName = new Map(realmRows.map((r) => [String(r.id), String(r.name)]));
  const resolverRows: Row[] = await db('resolver').select('id', 'name', 'rtype');
  const resolverName = new Map(resolverRows.map((r) => [String(r.id), String(r.name)]));

  const resolvers: PiResolver[] = [];
  const configRows: Row[] = await db('resolverconfig').select('resolver_id', 'Key', 'Value');
  for (const r of resolverRows) {
    const config: Record<string, string> = {};
    for (const c of configRows) if (String(c.resolver_id) === String(r.id)) config[String(c.Key)] = text(c.Value);
    resolvers.push({ name: String(r.name), type: String(r.rtype), config });
  }
  const links: Row[] = await db('resolverrealm').select('resolver_id', 'realm_id');
  const realms: PiRealm[] = realmRows.map((r) => ({
    name: String(r.name),
    isDefault: truthy(r.default),
    resolvers: links.filter((l) => String(l.realm_id) === String(r.id)).map((l) => resolverName.get(String(l.resolver_id)) ?? '?'),
  }));

  const passwdUsers = new Map<string, ReadonlyMap<string, PasswdUser> | { problem: string }>();
  for (const r of resolvers) {
    if (r.type === 'passwdresolver') passwdUsers.set(r.name, readPasswdUsers(r.config.fileName ?? '', options.resolverDir));
  }

  return {
    tokens: await readTokens(db, enckey, realmName),
    realms,
    resolvers,
    gateways: await readGateways(db),
    smtpServers: await readSmtpServers(db, enckey),
    config: Object.fromEntries(((await db('config').select('Key', 'Value')) as Row[]).map((r) => [String(r.Key), text(r.Value)])),
    policies: ((await db('policy').select('name').orderBy('name')) as Row[]).map((r) => String(r.name)),
    eventHandlers: ((await db('eventhandler').select('name').orderBy('name')) as Row[]).map((r) => String(r.name)),
    passwdUsers,
  };
}

async function readTokens(db: Knex, enckey: PiEncKey, realmName: Map<string, string>): Promise<PiToken[]> {
  const rows: Row[] = await db('token')
    .select('id', 'serial', 'tokentype', 'description', 'active', 'revoked', 'locked', 'failcount', 'maxfail', 'count', 'otplen', 'count_window', 'pin_hash', 'key_enc', 'key_iv')
    .orderBy('id');
  const info = new Map<string, Record<string, string>>();
  for (const r of (await db('tokeninfo').select('token_id', 'Key', 'Value')) as Row[]) {
    const id = String(r.token_id);
    let entries = info.get(id);
    if (!entries) info.set(id, (entries = {}));
    entries[String(r.Key)] = text(r.Value);
  }
  const owners = new Map<string, PiOwner>();
  for (const r of (await db('tokenowner').select('token_id', 'resolver', 'user_id', 'realm_id')) as Row[]) {
    const realm = r.realm_id === null ? undefined : realmName.get(String(r.realm_id));
    owners.set(String(r.token_id), { resolver: text(r.resolver), userId: text(r.user_id), ...(realm === undefined ? {} : { realm }) });
  }
  const tokenRealms = new Map<string, string[]>();
  for (const r of (await db('tokenrealm').select('token_id', 'realm_id')) as Row[]) {
    const id = String(r.token_id);
    tokenRealms.set(id, [...(tokenRealms.get(id) ?? []), realmName.get(String(r.realm_id)) ?? '?']);
  }
  return rows.map((r) => {
    const id = String(r.id);
    const pinHash = text(r.pin_hash);
    const owner = owners.get(id);
    return {
      serial: String(r.serial),
      type: text(r.tokentype).toLowerCase(),
      description: text(r.description),
      active: truthy(r.active),
      revoked: truthy(r.revoked),
      locked: truthy(r.locked),
      failcount: Number(r.failcount ?? 0),
      maxfail: Number(r.maxfail ?? 10),
      counter: Number(r.count ?? 0),
      otplen: Number(r.otplen ?? 6),
      countWindow: Number(r.count_window ?? 10),
      pinHash,
      ...(pinHash.startsWith('@@') ? clearPinOf(enckey, pinHash.slice(2)) : {}),
      otpKey: otpKeyOf(enckey, text(r.key_enc), text(r.key_iv)),
      info: info.get(id) ?? {},
      ...(owner ? { owner } : {}),
      realms: tokenRealms.get(id) ?? [],
    };
  });
}

export const NO_KEY_STORED = 'no token key stored';

function otpKeyOf(enckey: PiEncKey, keyEnc: string, keyIv: string): PiOtpKey {
  if (keyEnc === '' || keyIv === '') return { problem: NO_KEY_STORED };
  try {
    // The key is stored as its hex text, encrypted.
    const hex = enckey.decrypt(keyEnc, keyIv, TOKEN_KEY).toString('latin1');
    if (!/^([0-9a-f]{2})+$/i.test(hex)) return { problem: 'the decrypted token key is not hex (wrong --encfile?)' };
    return { key: Buffer.from(hex, 'hex') };
  } catch {
    return { problem: 'the token key does not decrypt with --encfile (wrong key file, or keys kept in an HSM)' };
  }
}

function clearPinOf(enckey: PiEncKey, value: string): { clearPin?: string } {
  try {
    return { clearPin: enckey.decryptValue(value, TOKEN_KEY) };
  } catch {
    return {};
  }
}

async function readGateways(db: Knex): Promise<PiGateway[]> {
  const rows: Row[] = await db('smsgateway').select('id', 'identifier', 'description', 'providermodule').orderBy('identifier');
  const options: Row[] = await db('smsgatewayoption').select('gateway_id', 'Key', 'Value', 'Type');
  return rows.map((g) => {
    const mine = options.filter((o) => String(o.gateway_id) === String(g.id));
    const pick = (type: string) => Object.fromEntries(mine.filter((o) => text(o.Type || 'option') === type).map((o) => [String(o.Key), text(o.Value)]));
    return {
      identifier: String(g.identifier),
      description: text(g.description),
      // privacyidea.lib.smsprovider.HttpSMSProvider.HttpSMSProvider → HttpSMSProvider
      module: text(g.providermodule).split('.').pop() ?? '',
      options: pick('option'),
      headers: pick('header'),
    };
  });
}

async function readSmtpServers(db: Knex, enckey: PiEncKey): Promise<PiSmtpServer[]> {
  const rows: Row[] = await db('smtpserver').select('*').orderBy('identifier');
  return rows.map((r) => {
    let password: string | null = null;
    if (text(r.password) !== '') {
      try {
        password = enckey.decryptValue(text(r.password), CONFIG_KEY);
      } catch {
        password = null;
      }
    }
    return {
      identifier: String(r.identifier),
      description: text(r.description),
      server: text(r.server),
      port: Number(r.port ?? 25),
      username: text(r.username),
      password,
      sender: text(r.sender),
      tls: truthy(r.tls),
      timeout: Number(r.timeout ?? 10),
    };
  });
}

const text = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
/** SQLite and MySQL answer 0/1, PostgreSQL true/false, config values 'True'/'False'. */
const truthy = (v: unknown): boolean => v === true || v === 1 || v === '1' || (typeof v === 'string' && v.toLowerCase() === 'true');
