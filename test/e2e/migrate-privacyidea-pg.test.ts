// `migrate privacyidea` from PostgreSQL: the fixture's SQLite data (privacyIDEA 3.13.3) loaded
// into a throw-away PostgreSQL database (tables from the SQLite schema, rows copied with knex),
// imported through a postgresql:// URL as pi.cfg writes it; the result is the same as from
// SQLite, and a migrated user logs in over RADIUS with the old PIN and the next OTP.
import { chmodSync, cpSync, readdirSync } from 'node:fs';
import path from 'node:path';
import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { tempDir } from '../helpers/fs.js';
import { createTestDatabase } from '../helpers/pg.js';
import { copyPrivacyIdeaDatabase } from '../helpers/pi-copy.js';
import { radclient } from '../helpers/radius-clients.js';
import { PI_FIXTURE } from '../helpers/pi-fixture.js';


describe('migrate privacyidea from PostgreSQL', () => {
  let dir: string;
  let pg: { url: string; drop(): Promise<void> };
  let fromPg: TestDaemon;
  let fromSqlite: TestDaemon;
  const common = () => ['--encfile', path.join(dir, 'enckey'), '--pepper-file', path.join(dir, 'pi.cfg')];
  const tokens = async (d: TestDaemon) =>
    (JSON.parse(await d.ok('token', 'list', '--json')) as Array<Record<string, unknown>>).map(({ createdAt: _c, updatedAt: _u, lastFailAt: _f, ...rest }) => rest);

  beforeAll(async () => {
    dir = tempDir('smsotp-pi-pg-');
    cpSync(PI_FIXTURE, dir, { recursive: true });
    for (const f of readdirSync(dir)) chmodSync(path.join(dir, f), 0o600);
    pg = await createTestDatabase();
    const target = knexFactory({ client: 'pg', connection: pg.url });
    try {
      await copyPrivacyIdeaDatabase(path.join(dir, 'pi.sqlite'), target);
    } finally {
      await target.destroy();
    }
    fromPg = await createDaemon({ radius: { reject_delay: '0', max_request_time: '30' } });
    fromSqlite = await createDaemon();
    for (const d of [fromPg, fromSqlite]) await d.ok('setting', 'set', 'sms.default_country_code', '49');
  }, 120_000);

  afterAll(async () => {
    await fromPg?.stop();
    await pg?.drop();
  });

  it('imports the same tokens as from the SQLite file, and anna logs in with her old PIN and next OTP', async () => {
    // SQLAlchemy's driver suffix (postgresql+psycopg2://) is accepted as pi.cfg writes it.
    const pgUrl = pg.url.replace(/^postgres(ql)?:/, 'postgresql+psycopg2:');
    const viaPg = JSON.parse(await fromPg.ok('migrate', 'privacyidea', '--db', pgUrl, ...common(), '--json'));
    const viaSqlite = JSON.parse(await fromSqlite.ok('migrate', 'privacyidea', '--db', `sqlite:///${path.join(dir, 'pi.sqlite')}`, ...common(), '--json'));
    expect(viaPg.tokens.created).toBe(17); // the SMS tokens of realm local (corp has no realm here)
    expect([viaPg.actions, viaPg.notCarried]).toEqual([viaSqlite.actions, viaSqlite.notCarried]);
    expect(await tokens(fromPg)).toEqual(await tokens(fromSqlite));

    await fromPg.start();
    const reply = await radclient(fromPg, { 'User-Name': '"anna"', 'User-Password': '"an-1701262257"' }, { timeout: 25, retries: 1 });
    expect(reply.code, fromPg.logs()).toBe('Access-Accept');
  }, 120_000);
});
