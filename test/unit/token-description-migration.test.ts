// Migration 0026_token_description on a store that has tokens already: they get the empty
// description, a token inserted without naming the column (the login's own enrollment, a node
// not upgraded yet) gets it too, the login's reads (TOKEN_COLUMNS, which do not select it)
// still decode, and the admin's reads carry it; down takes the column away again. On SQLite
// and on the real PostgreSQL.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretBox } from '../../src/crypto/secretbox.js';
import { TOKEN_COLUMNS } from '../../src/store/auth/statements.js';
import { newTokenRow, TokenDecoder, type NewToken, type TokenRow } from '../../src/store/tokens.js';
import { migrateUpTo, openBareStore } from '../helpers/migration-steps.js';

const box = new SecretBox(randomBytes(32));
const token = (serial: string, description?: string): NewToken => ({
  serial, username: serial.toLowerCase(), realm: '', phone: '+4917012345', dynamicPhone: false, gateway: null, otpKey: randomBytes(20),
  hashlib: 'sha1', otplen: 6, countWindow: 10, maxfail: 10, pinHash: 'scrypt$x', verified: true, ...(description === undefined ? {} : { description }),
});
const state = { counter: 0, active: true, failcount: 0 };

describe.each(['sqlite', 'pg'] as const)('migration 0026_token_description, %s', (kind) => {
  it('gives existing tokens an empty description; the login reads without it, the admin with it; down removes it', async () => {
    const { knex, close } = await openBareStore(kind);
    try {
      const migration = await migrateUpTo(knex, '0026_token_description');
      const { description: _none, ...before } = newTokenRow(box, token('OLD1'), state, 1);
      await knex('tokens').insert(before);
      await migration.up(knex);
      await knex('tokens').insert(newTokenRow(box, token('NEW1', 'Diensthandy (Büro 2.10)'), state, 2));
      await knex('tokens').insert({ ...before, serial: 'NOCOL1', otpkey: box.seal(randomBytes(20), 'token:NOCOL1:otpkey') });
      expect(await knex('tokens').select('serial', 'description').orderBy('serial')).toEqual([
        { serial: 'NEW1', description: 'Diensthandy (Büro 2.10)' },
        { serial: 'NOCOL1', description: '' },
        { serial: 'OLD1', description: '' },
      ]);
      const decoder = new TokenDecoder(box);
      const [login] = (await knex.raw(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE serial = 'NEW1'`).then((r) => (kind === 'pg' ? r.rows : r))) as TokenRow[];
      const decoded = decoder.decode(login!);
      expect([decoded.serial, 'description' in decoded]).toEqual(['NEW1', false]);
      const admin = (await knex<TokenRow>('tokens').where({ serial: 'NEW1' }).first())!;
      expect(decoder.decode(admin).description).toBe('Diensthandy (Büro 2.10)');
      await migration.down(knex);
      expect(await knex.schema.hasColumn('tokens', 'description')).toBe(false);
      expect(await knex('tokens').count({ n: '*' })).toEqual([{ n: kind === 'pg' ? '3' : 3 }]);
    } finally {
      await close();
    }
  });
});
