// Run as root, a command acts as the owner of the embedded store's directory (the package's
// service user, who owns /var/lib/sms-otp-radiusd): what it creates or migrates keeps that
// owner, so the daemon can still open it. Here the owner is `nobody` (65534); the Debian
// package's test does the same with the real service user in a Debian root.
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BIN, tempDir } from '../helpers/fs.js';

const run = promisify(execFile);
const NOBODY = 65534;

function configIn(dir: string, state: string): string {
  const file = path.join(dir, 'c.yaml');
  writeFileSync(file, [
    `database: { client: sqlite, filename: ${state}/store.sqlite }`,
    `secrets: { keyfile: ${state}/encryption.key }`,
    'radius:',
    '  listen: [ { host: 127.0.0.1, port: 1812 } ]',
    '  clients: [ { name: nas, address: 127.0.0.1, secret_file: nas.secret } ]',
    '',
  ].join('\n'), { mode: 0o600 });
  // Readable by root only, as a secret file may be: it is read before the switch.
  writeFileSync(path.join(dir, 'nas.secret'), 'a-secret\n', { mode: 0o600 });
  return file;
}

describe.runIf(process.getuid?.() === 0)('run as root, the CLI works as the owner of the store directory', () => {
  it('creates the store, its journal and the key file owned by that user, reading root-only secrets first', async () => {
    const dir = tempDir('smsotp-owner-');
    chmodSync(dir, 0o755);
    const state = path.join(dir, 'state');
    mkdirSync(state, { mode: 0o700 });
    chownSync(state, NOBODY, NOBODY);
    const config = configIn(dir, state);

    await run(process.execPath, [BIN, 'migrate', '--config', config], { cwd: '/' });
    await run(process.execPath, [BIN, 'token', 'enroll', '--user', 'alice', '--phone', '+4917012345', '--pin', 'pin1234', '--config', config], { cwd: '/' });
    const files = readdirSync(state);
    expect(files).toEqual(expect.arrayContaining(['store.sqlite', 'encryption.key']));
    for (const f of files) expect({ f, uid: statSync(path.join(state, f)).uid }).toEqual({ f, uid: NOBODY });
    expect(statSync(path.join(state, 'encryption.key')).mode & 0o777).toBe(0o600);
  });

  it('leaves a store in a directory root owns to root', async () => {
    const dir = tempDir('smsotp-owner-');
    const state = path.join(dir, 'state');
    mkdirSync(state, { mode: 0o700 });
    await run(process.execPath, [BIN, 'migrate', '--config', configIn(dir, state)], { cwd: '/' });
    expect(statSync(path.join(state, 'store.sqlite')).uid).toBe(0);
  });
});
