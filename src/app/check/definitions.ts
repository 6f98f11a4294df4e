// Every stored definition, opened and judged the way the daemon would use it: gateways, SMTP
// servers, user stores (each server probed, read-only) and the realms that name them.
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { Config } from '../../config/schema.js';
import { checkDefinition } from '../../gateways/parameters.js';
import { GatewayError } from '../../gateways/provider.js';
import { GatewayRegistry } from '../../gateways/registry.js';
import type { GatewayDefinition } from '../../store/gateways.js';
import type { SmtpServerDefinition } from '../../store/smtp-servers.js';
import type { UserStoreDefinition } from '../../store/userstores.js';
import { probeServer } from '../userstore-admin.js';
import type { Contents } from './contents.js';
import { reasonOf, type Findings } from './findings.js';

interface Sealed<T> {
  /** The section's name in the note when the key file cannot open them. */
  readonly section: string;
  /** One definition's check name. */
  readonly check: string;
  /** What needs the key: 'their secrets', and of one: 'its sealed options'. */
  readonly theirs: string;
  readonly its: string;
  readonly open: (identifier: string) => Promise<T | undefined>;
}

/**
 * Opens each definition (its sealed values need the key file) and hands it to `judge`; one
 * that cannot be opened is a failure, one deleted meanwhile is skipped. Without the key the
 * whole section is one note.
 */
async function openEach<T>(
  c: Contents,
  f: Findings,
  items: ReadonlyArray<{ identifier: string; label: string }>,
  sealed: Sealed<T>,
  judge: (definition: T, label: string) => Promise<void> | void,
): Promise<void> {
  if (!c.canOpen) {
    f.note(sealed.section, `${items.length} defined, not checked: ${sealed.theirs} need the store's key file`);
    return;
  }
  for (const { identifier, label } of items) {
    let definition: T | undefined;
    try {
      definition = await sealed.open(identifier);
    } catch (err) {
      f.fail(sealed.check, `${label}: cannot open ${sealed.its}: ${reasonOf(err)}`);
      continue;
    }
    if (definition) await judge(definition, label);
  }
}

export async function checkGateways(config: Config, c: Contents, f: Findings): Promise<void> {
  const rows = await c.gateways.identifiers();
  if (!rows.length) {
    f.note('gateways', "none defined yet: 'gateway set ID --module MODULE --option KEY=VALUE ...'");
    return;
  }
  if (c.canOpen) {
    for (const s of await c.gateways.storedInClear()) {
      f.warn('gateway', `${s.identifier}: ${s.kind} ${s.key} is a secret stored in the clear (by an earlier version); serve and every CLI command on the store seal it`);
    }
  }
  const context = { scriptDirectory: config.providers.script_directory, smtpServers: c.smtpServers };
  await openEach(
    c,
    f,
    rows.map(({ identifier, module }) => ({ identifier, label: `${identifier} (${module})` })),
    { section: 'gateways', check: 'gateway', theirs: 'their secrets', its: 'its sealed options', open: (id) => c.gateways.get(id) },
    async (definition, label) => {
      const problem = await gatewayProblem(definition, context, c);
      if (problem) f.fail('gateway', `${label}: ${problem}`);
      else f.ok('gateway', label);
    },
  );
}

/**
 * What `gateway set` would refuse about a stored definition, or undefined: the declared
 * limits, then the provider itself, built and closed again (it reads the files it names but
 * connects nowhere). An smtp gateway must name an SMTP server that exists.
 */
async function gatewayProblem(
  definition: GatewayDefinition,
  context: ConstructorParameters<typeof GatewayRegistry>[1],
  c: Contents,
): Promise<string | undefined> {
  try {
    checkDefinition(definition);
    const provider = await GatewayRegistry.instantiate(definition, context);
    await provider.close();
  } catch (err) {
    return err instanceof GatewayError ? err.reason : reasonOf(err);
  }
  const server = definition.module === 'smtp' ? definition.options.SMTPIDENTIFIER : undefined;
  if (server && !(await c.smtpServers.exists(server))) {
    return `option SMTPIDENTIFIER names the SMTP server '${server}', which does not exist: 'smtpserver set ${server} --server HOST'`;
  }
  return undefined;
}

export async function checkSmtpServers(c: Contents, f: Findings): Promise<void> {
  const identifiers = await c.smtpServers.identifiers();
  if (!identifiers.length) return; // only smtp gateways need one, and they are checked for it
  await openEach(
    c,
    f,
    identifiers.map((identifier) => ({ identifier, label: identifier })),
    { section: 'smtp servers', check: 'smtp server', theirs: 'their passwords', its: 'its sealed password', open: (id) => c.smtpServers.get(id) },
    (server, label) => {
      const problem = smtpServerProblem(server);
      if (problem) f.fail('smtp server', `${label}: ${problem}`);
      else f.ok('smtp server', `${label} (${server.server}:${server.port})`);
    },
  );
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

/**
 * Every user store, as the daemon would use it: a bind as the service account on each of its
 * servers and a look for the base DN (read-only). A user store none of whose servers answers
 * is a failure; one server down of several is worth a warning (logins go to the others).
 */
export async function checkUserStores(c: Contents, f: Findings): Promise<void> {
  if (!(await c.hasTable('userstores'))) return;
  const identifiers = await c.userstores.identifiers();
  if (!identifiers.length) return; // tokens without a directory need none
  await openEach(
    c,
    f,
    identifiers.map((identifier) => ({ identifier, label: identifier })),
    { section: 'userstores', check: 'userstore', theirs: 'their bind passwords', its: 'its sealed bind password', open: (id) => c.userstores.get(id) },
    async (definition: UserStoreDefinition, identifier) => {
      const servers = await Promise.all(definition.uris.map((uri) => probeServer(definition, uri)));
      const down = servers.filter((s) => !s.ok).map((s) => `${s.uri}: ${s.detail}`);
      if (down.length === servers.length) f.fail('userstore', `${identifier}: no server can be used: ${down.join('; ')}`);
      else if (down.length) f.warn('userstore', `${identifier}: ${down.join('; ')} (logins use the other servers)`);
      else f.ok('userstore', `${identifier}: ${servers.map((s) => s.uri).join(', ')}: ${servers[0]!.detail}`);
    },
  );
}

/** Every realm names a user store that exists; one realm at most is the default. */
export async function checkRealms(c: Contents, f: Findings): Promise<void> {
  if (!(await c.hasTable('realms'))) return;
  const realms = await c.realms.list();
  if (!realms.length) return;
  const stores = new Set(await c.userstores.identifiers());
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
