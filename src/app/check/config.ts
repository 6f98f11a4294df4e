// The configuration's parts that need more than its schema: what the RADIUS front refuses at
// start, the listen addresses, the HTTP front's certificate.
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { createSecureContext } from 'node:tls';
import type { Config, DatabaseConfig } from '../../config/schema.js';
import { describeFsError } from '../../errors.js';
import { clientSecretWarnings, MIN_CLIENT_SECRET_LENGTH } from '../node-warnings.js';
import { reasonOf, type Findings } from './findings.js';

/**
 * What `check` needs of the fronts and of the daemon's start, given by its caller so that the
 * application layer imports neither: each function throws what `serve` would refuse.
 */
export interface CheckPorts {
  readonly radius: {
    /** The client table the daemon builds at start. */
    clients(config: Config): void;
    /** The dictionaries radius.dictionaries adds to the built-in ones. */
    dictionaries(config: Config): void;
    /** The accept attributes of the site and of each client (they name dictionary attributes). */
    acceptAttributes(config: Config): void;
  };
  readonly store: {
    /** The SQLite file's directory must exist (serve creates the file, never the directory). */
    requireDatabaseDirectory(database: DatabaseConfig, configPath: string): void;
    /** The operator's message for a store that does not open or answer. */
    openError(database: DatabaseConfig, err: unknown): Error;
  };
}

export function checkRadius(config: Config, radius: CheckPorts['radius'], f: Findings): void {
  try {
    radius.dictionaries(config);
    const extra = config.radius.dictionaries;
    f.ok('dictionaries', extra.length ? `built in, and ${extra.join(', ')}` : 'built in (radius.dictionaries adds none)');
  } catch (err) {
    f.fail('dictionaries', reasonOf(err));
    return; // accept attributes name attributes of the dictionaries
  }
  try {
    radius.acceptAttributes(config);
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
export function checkListenAddresses(config: Config, f: Findings): void {
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
export function checkHttpTls(config: Config, f: Findings): void {
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
