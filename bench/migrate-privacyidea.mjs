// Scale of `migrate privacyidea`: a privacyIDEA-shaped SQLite database of N SMS tokens (default
// 10 000) is generated from the fixture's schema (test/fixtures/privacyidea-3.13): keys
// encrypted with its key file as privacyIDEA does (AES-256-CBC, PKCS7, hex), one real argon2
// PIN hash copied to every token (the KDF runs neither here nor at the import), a passwd
// resolver file with N users. Then the CLI imports it into a fresh SQLite store; the wall time
// of the import (dry run, then the real one) is printed.
//   npm run build && node bench/migrate-privacyidea.mjs [N]
import { execFileSync } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

const N = Number(process.argv[2] ?? 10_000);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURE = path.resolve(ROOT, 'test/fixtures/privacyidea-3.13');
const dir = mkdtempSync(path.join(os.tmpdir(), 'smsotp-pi-bench-'));
const TABLES = ['realm', 'resolver', 'resolverconfig', 'resolverrealm', 'token', 'tokeninfo', 'tokenowner', 'tokenrealm',
  'smsgateway', 'smsgatewayoption', 'smtpserver', 'config', 'policy', 'eventhandler'];

const fixture = new Database(path.join(FIXTURE, 'pi.sqlite'), { readonly: true });
const db = new Database(path.join(dir, 'pi.sqlite'));
for (const t of TABLES) db.exec(fixture.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").get(t).sql);
// Realms, resolvers, gateways, SMTP server and config as the fixture has them; tokens generated.
for (const t of ['realm', 'resolver', 'resolverconfig', 'resolverrealm', 'smsgateway', 'smsgatewayoption', 'smtpserver', 'config']) {
  const rows = fixture.prepare(`SELECT * FROM ${t}`).all();
  if (rows.length === 0) continue;
  const cols = Object.keys(rows[0]);
  const insert = db.prepare(`INSERT INTO ${t} (${cols.map((c) => `"${c}"`).join(',')}) VALUES (${cols.map(() => '?').join(',')})`);
  for (const r of rows) insert.run(cols.map((c) => r[c]));
}
const pinHash = fixture.prepare("SELECT pin_hash FROM token WHERE serial = 'PISM00006D6F'").get().pin_hash;
fixture.close();

const enckey = readFileSync(path.join(FIXTURE, 'enckey')).subarray(0, 32);
copyFileSync(path.join(FIXTURE, 'enckey'), path.join(dir, 'enckey'));
copyFileSync(path.join(FIXTURE, 'pi.cfg'), path.join(dir, 'pi.cfg'));
const encrypt = (hex) => {
  const iv = randomBytes(16);
  const c = createCipheriv('aes-256-cbc', enckey, iv);
  return { enc: Buffer.concat([c.update(hex, 'latin1'), c.final()]).toString('hex'), iv: iv.toString('hex') };
};
const token = db.prepare(`INSERT INTO token (id, serial, tokentype, otplen, pin_hash, key_enc, key_iv, maxfail, active, revoked, locked, failcount, count, count_window, description)
  VALUES (?, ?, 'sms', 6, ?, ?, ?, 10, 1, 0, 0, 0, ?, 10, '')`);
const info = db.prepare('INSERT INTO tokeninfo ("Key", "Value", token_id) VALUES (?, ?, ?)');
const owner = db.prepare("INSERT INTO tokenowner (token_id, resolver, user_id, realm_id) VALUES (?, 'localfile', ?, 1)");
const realm = db.prepare('INSERT INTO tokenrealm (token_id, realm_id) VALUES (?, 1)');
const passwd = [];
db.transaction(() => {
  for (let i = 1; i <= N; i++) {
    const uid = String(100_000 + i);
    const { enc, iv } = encrypt(randomBytes(20).toString('hex'));
    token.run(i, `PISM${String(i).padStart(8, '0')}`, pinHash, enc, iv, i % 50);
    info.run('phone', `+4917${String(i).padStart(9, '0')}`, i);
    info.run('hashlib', 'sha1', i);
    owner.run(i, uid);
    realm.run(i);
    passwd.push(`user${i}:x:${uid}:${uid}:User ${i},,+4917${String(i).padStart(9, '0')},,:/home/u:/bin/false`);
  }
})();
db.close();
writeFileSync(path.join(dir, 'users.passwd'), `${passwd.join('\n')}\n`);
writeFileSync(path.join(dir, 'config.yaml'), [
  `database: { client: sqlite, filename: "${path.join(dir, 'store.sqlite')}" }`,
  `secrets: { keyfile: "${path.join(dir, 'store.key')}" }`,
  'radius:', '  listen: [ { host: 127.0.0.1, port: 23050 } ]', '  clients:', '    - { name: local, address: 127.0.0.1, secret: bench-secret-0123456789 }',
].join('\n'));

const cli = (...args) => execFileSync(process.execPath, [path.join(ROOT, 'bin/sms-otp-radiusd.js'), '-c', path.join(dir, 'config.yaml'), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 30 });
cli('migrate');
const run = (...extra) => {
  const started = process.hrtime.bigint();
  const report = JSON.parse(cli('migrate', 'privacyidea', '--db', `sqlite:///${path.join(dir, 'pi.sqlite')}`, '--encfile', path.join(dir, 'enckey'), '--json', ...extra));
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, report };
};
const dry = run('--dry-run');
const real = run();
const again = run();
console.log(`${N} tokens: dry run ${dry.seconds.toFixed(1)} s, import ${real.seconds.toFixed(1)} s (${real.report.tokens.created} created), second run ${again.seconds.toFixed(1)} s (${again.report.tokens.updated} updated); not carried: ${real.report.notCarried.length}`);
