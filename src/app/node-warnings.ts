// What is weak about a node's own files and secrets, though it runs: said once in the log at
// `serve` (and again at a reload, for the RADIUS clients it reads anew) and as `warn` lines
// of `check`. One list, so that the log and `check` never disagree.
import { statSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import { counted } from '../core/counted.js';

export interface NodeWarning {
  /** The `check` line it belongs to. */
  readonly check: 'radius clients' | 'key file' | 'store files';
  readonly message: string;
}

/** RFC 2865 §3 asks for at least 16 octets; a shorter secret falls to an offline guess from one captured request. */
export const MIN_CLIENT_SECRET_LENGTH = 16;

/** Clients whose shared secret is shorter than MIN_CLIENT_SECRET_LENGTH (the secret itself is never said). */
export function clientSecretWarnings(config: Pick<Config, 'radius'>): NodeWarning[] {
  return config.radius.clients.flatMap((c, i) => {
    const length = Buffer.byteLength(c.secret, 'utf8');
    if (length >= MIN_CLIENT_SECRET_LENGTH) return [];
    return [
      {
        check: 'radius clients' as const,
        message:
          `radius.clients.${i} (${c.name}): the shared secret has ${counted(length, 'character')}; use at least ` +
          `${MIN_CLIENT_SECRET_LENGTH} random ones (one captured request lets anyone guess a short secret offline, then read every password)`,
      },
    ];
  });
}

/**
 * The key file not owned by `uid` (the user the daemon runs as: `serve` itself, or whoever
 * runs `check`, which docs/install-from-source.md runs as the service user), and store files (the key
 * file, the SQLite database and its -wal and -shm) that group or others can read.
 */
export function fileWarnings(config: Pick<Config, 'database' | 'secrets'>, uid: number | undefined = process.geteuid?.()): NodeWarning[] {
  const warnings: NodeWarning[] = [];
  const keyfile = config.secrets.keyfile;
  const key = statOrUndefined(keyfile);
  if (key && uid !== undefined && key.uid !== uid) {
    warnings.push({
      check: 'key file',
      message: `${keyfile} is owned by uid ${key.uid}, not by uid ${uid} that ${uid === 0 ? 'runs this (root)' : 'runs this'}: the daemon's user should own it (chown it, mode 0600)`,
    });
  }
  if (config.database.client === 'sqlite' && config.database.filename !== ':memory:') {
    const db = config.database.filename;
    for (const file of [db, `${db}-wal`, `${db}-shm`]) {
      const s = statOrUndefined(file);
      if (s && (s.mode & 0o077) !== 0) {
        warnings.push({
          check: 'store files',
          message: `${file} has mode ${(s.mode & 0o777).toString(8).padStart(4, '0')}: group or others can read the store; chmod 600 ${file}`,
        });
      }
    }
  }
  return warnings;
}

function statOrUndefined(file: string): { uid: number; mode: number } | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}
