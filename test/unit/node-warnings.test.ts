// The node's weak spots that serve logs and check shows: short RADIUS secrets, a key file of
// another user, store files others can read. Real files, real ownership (the tests run as root).
import { chmodSync, chownSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { clientSecretWarnings, fileWarnings } from '../../src/app/node-warnings.js';
import type { Config } from '../../src/config/schema.js';
import { tempDir } from '../helpers/fs.js';

const radius = (secrets: string[]) =>
  ({ radius: { clients: secrets.map((secret, i) => ({ name: `nas${i}`, address: '127.0.0.1/32', secret })) } }) as unknown as Pick<Config, 'radius'>;

describe('clientSecretWarnings', () => {
  it('names each client whose secret has fewer than 16 characters, never the secret', () => {
    const warnings = clientSecretWarnings(radius(['short-secret', 'sixteen-chars-ok', 'x']));
    expect(warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/^radius\.clients\.0 \(nas0\): the shared secret has 12 characters; use at least 16/),
      expect.stringMatching(/^radius\.clients\.2 \(nas2\): the shared secret has 1 character; use at least 16/),
    ]);
    for (const w of warnings) expect(w.message).not.toMatch(/short-secret|: x\b/);
  });
  it('counts UTF-8 bytes, as RADIUS does', () => {
    expect(clientSecretWarnings(radius(['ääääääää']))).toEqual([]);
  });
});

describe('fileWarnings', () => {
  const setup = () => {
    const dir = tempDir('smsotp-files-');
    const config = {
      database: { client: 'sqlite', filename: path.join(dir, 'store.sqlite') },
      secrets: { keyfile: path.join(dir, 'encryption.key') },
    } as unknown as Pick<Config, 'database' | 'secrets'>;
    for (const f of ['encryption.key', 'store.sqlite', 'store.sqlite-wal', 'store.sqlite-shm']) writeFileSync(path.join(dir, f), 'x', { mode: 0o600 });
    return { dir, config };
  };

  it('says nothing about private files of the user it runs as', () => {
    const { config } = setup();
    expect(fileWarnings(config, process.geteuid!())).toEqual([]);
  });
  it('names a key file another user owns', () => {
    const { dir, config } = setup();
    chownSync(path.join(dir, 'encryption.key'), 65534, 65534);
    expect(fileWarnings(config, 0)).toEqual([
      { check: 'key file', message: `${path.join(dir, 'encryption.key')} is owned by uid 65534, not by uid 0 that runs this (root): the daemon's user should own it (chown it, mode 0600)` },
    ]);
  });
  it('names each store file group or others can read', () => {
    const { dir, config } = setup();
    chmodSync(path.join(dir, 'store.sqlite'), 0o644);
    chmodSync(path.join(dir, 'store.sqlite-shm'), 0o640);
    expect(fileWarnings(config, process.geteuid!()).map((w) => w.message)).toEqual([
      `${path.join(dir, 'store.sqlite')} has mode 0644: group or others can read the store; chmod 600 ${path.join(dir, 'store.sqlite')}`,
      `${path.join(dir, 'store.sqlite-shm')} has mode 0640: group or others can read the store; chmod 600 ${path.join(dir, 'store.sqlite-shm')}`,
    ]);
  });
});
