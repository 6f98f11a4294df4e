import type { Knex } from 'knex';

/** One schema step; `name` is what knex records in schema_migrations, so it never changes. */
export interface Migration {
  name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}
