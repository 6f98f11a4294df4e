// Migration 0027: the phone verifications on their way (a code sent to a new number, not yet
// typed back), kept in the store so that any node of a site can take the code another node
// sent, and a restart loses none. A row holds the HMAC of (verification id, code) under a key
// from the key file, never the code; `mac` is emptied once the code was used or voided, and
// the row stays until it expires so that the one-SMS-per-30-seconds rule holds across nodes.
import type { Migration } from './migration.js';

export const MIGRATIONS_0027: Migration[] = [
  {
    name: '0027_phone_verifications',
    async up(knex) {
      await knex.schema.createTable('phone_verifications', (t) => {
        t.string('id', 32).primary(); // the verification id (random, base64url), which the page carries
        t.string('username', 255).notNullable();
        t.string('realm', 255).notNullable();
        t.string('phone', 255).notNullable(); // as tokens.phone, whose number it becomes
        t.text('serials').notNullable(); // JSON array: the tokens whose number changes
        t.string('mac', 64).notNullable(); // hex HMAC-SHA256 of id and code; '' once used or voided
        t.integer('wrong').notNullable().defaultTo(0);
        t.bigInteger('sent_at').notNullable();
        t.bigInteger('expires_at').notNullable().index('phone_verifications_expires_at');
        t.index(['username', 'realm'], 'phone_verifications_owner');
      });
    },
    async down(knex) {
      await knex.schema.dropTable('phone_verifications');
    },
  },
];
