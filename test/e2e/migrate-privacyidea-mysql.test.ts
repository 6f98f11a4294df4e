// `migrate privacyidea` from MySQL/MariaDB (mysql+pymysql:// as pi.cfg writes it, read through
// mysql2): the fixture's SQLite data copied into a throw-away database of the MariaDB on
// 127.0.0.1:3306 (root, no password; MYSQL_ADMIN_URL overrides), imported, and the result is
// the same as from the SQLite file. Skipped, saying so, where no MariaDB answers.
import { chmodSync, cpSync, readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { tempDir } from '../helpers/fs.js';
import { copyPrivacyIdeaDatabase } from '../helpers/pi-copy.js';
import { PI_FIXTURE } from '../helpers/pi-fixture.js';

const ADMIN_URL = process.env.MYSQL_ADMIN_URL ?? 'mysql://root@127.0.0.1:3306/test';

async function reachable(): Promise<boolean> {
  const admin = knexFactory({ client: 'mysql2', connection: ADMIN_URL });
  try {
    await admin.raw('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await admin.destroy();
  }
}

const available = await reachable();
if (!available) console.warn(`migrate-privacyidea-mysql: no MariaDB/MySQL at ${ADMIN_URL}: skipped`);

describe.skipIf(!available)('migrate privacyidea from MySQL/MariaDB', () => {
  let dir: string;
  let admin: Knex;
  const name = `smsotp_pi_${randomBytes(4).toString('hex')}`;
  let fromMysql: TestDaemon;
  let fromSqlite: TestDaemon;
  const common = () => ['--encfile', path.join(dir, 'enckey')];
  const tokens = async (d: TestDaemon) =>
    (JSON.parse(await d.ok('token', 'list', '--json')) as Array<Record<string, unknown>>).map(({ createdAt: _c, updatedAt: _u, lastFailAt: _f, ...rest }) => rest);
  const url = () => {
    const u = new URL(ADMIN_URL);
    u.pathname = `/${name}`;
    return u.toString();
  };

  beforeAll(async () => {
    dir = tempDir('smsotp-pi-mysql-');
    cpSync(PI_FIXTURE, dir, { recursive: true });
    for (const f of readdirSync(dir)) chmodSync(path.join(dir, f), 0o600);
    admin = knexFactory({ client: 'mysql2', connection: ADMIN_URL });
    await admin.raw(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
    const target = knexFactory({ client: 'mysql2', connection: url() });
    try {
      await copyPrivacyIdeaDatabase(path.join(dir, 'pi.sqlite'), target);
    } finally {
      await target.destroy();
    }
    fromMysql = await createDaemon();
    fromSqlite = await createDaemon();
    for (const d of [fromMysql, fromSqlite]) await d.ok('setting', 'set', 'sms.default_country_code', '49');
  }, 120_000);

  afterAll(async () => {
    await admin?.raw(`DROP DATABASE IF EXISTS ${name}`);
    await admin?.destroy();
  });

  it('imports the same tokens, gateways and settings as from the SQLite file', async () => {
    const viaMysql = JSON.parse(await fromMysql.ok('migrate', 'privacyidea', '--db', url().replace(/^mysql:/, 'mysql+pymysql:'), ...common(), '--json'));
    const viaSqlite = JSON.parse(await fromSqlite.ok('migrate', 'privacyidea', '--db', `sqlite:///${path.join(dir, 'pi.sqlite')}`, ...common(), '--json'));
    expect(viaMysql.tokens.created).toBe(17);
    expect([viaMysql.actions, viaMysql.notCarried]).toEqual([viaSqlite.actions, viaSqlite.notCarried]);
    expect(await tokens(fromMysql)).toEqual(await tokens(fromSqlite));
    const gateways = async (d: TestDaemon) =>
      (JSON.parse(await d.ok('gateway', 'list', '--json')) as Array<Record<string, unknown>>).map(({ createdAt: _c, updatedAt: _u, ...rest }) => rest);
    expect(await gateways(fromMysql)).toEqual(await gateways(fromSqlite));
  }, 120_000);
});
