// Realms: the name a login carries (user@realm, REALM\user) and the user store that holds its
// people. Names are kept in lower case (src/core/names.ts); at most one realm is the default,
// the one a login without a realm belongs to.
import type { Knex } from 'knex';
import { normaliseRealm } from '../core/names.js';
import { NotFoundError } from '../core/errors.js';
import type { RealmDefinition } from '../directory/definition.js';
import { changeConfiguration, nothingChanged } from './config-revision.js';

export type { RealmDefinition } from '../directory/definition.js';

interface Row {
  name: string;
  userstore: string;
  is_default: boolean | number;
}

export class RealmRepository {
  constructor(
    private readonly knex: Knex,
    private readonly now: () => number,
  ) {}

  async list(): Promise<RealmDefinition[]> {
    const rows: Row[] = await this.knex('realms').orderBy('name');
    return rows.map((r) => ({ name: r.name, userstore: r.userstore, isDefault: Boolean(r.is_default) }));
  }

  /**
   * Creates or replaces a realm. The user store must exist (checked in the transaction that
   * `userstore delete` also runs in); `isDefault` takes the default from any other realm.
   */
  async set(realm: RealmDefinition): Promise<RealmDefinition> {
    const name = normaliseRealm(realm.name);
    await changeConfiguration(this.knex, async (trx) => {
      if (!(await trx('userstores').where({ identifier: realm.userstore }).first('id'))) {
        throw new NotFoundError(`no user store '${realm.userstore}'; define it first with 'userstore set ${realm.userstore} --uri ...' (see 'userstore list')`);
      }
      if (realm.isDefault) await trx('realms').where({ is_default: true }).update({ is_default: false });
      const now = this.now();
      const row = { name, userstore: realm.userstore, is_default: realm.isDefault, updated_at: now };
      await trx('realms').insert({ ...row, created_at: now }).onConflict('name').merge(row);
    });
    return { ...realm, name };
  }

  /** False when there is no such realm (and then no revision moves). */
  async delete(name: string): Promise<boolean> {
    const key = normaliseRealm(name);
    // Nothing deleted moves no revision (every daemon would reload for nothing).
    return changeConfiguration(this.knex, async (trx) => ((await trx('realms').where({ name: key }).delete()) > 0 ? true : nothingChanged(false)));
  }
}
