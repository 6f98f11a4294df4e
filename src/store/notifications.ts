// Notification definitions, part of the site configuration: every change moves the
// configuration revision, so running daemons reload them within a second.
import type { Knex } from 'knex';
import { NotFoundError } from '../core/errors.js';
import { isNotificationEvent, type KnownClients, type NotificationDefinition } from '../notifications/definition.js';
import { changeConfiguration, nothingChanged } from './config-revision.js';

interface NotificationRow {
  identifier: string;
  event: string;
  gateway: string;
  recipient: string;
  text: string;
}

export class NotificationRepository {
  constructor(
    private readonly knex: Knex,
    private readonly now: () => number,
  ) {}

  async list(): Promise<NotificationDefinition[]> {
    const rows: NotificationRow[] = await this.knex('notifications').select('identifier', 'event', 'gateway', 'recipient', 'text').orderBy('identifier');
    // A row of an event a newer node knows is skipped, not misread.
    return rows.flatMap((r) => (isNotificationEvent(r.event) ? [{ ...r, event: r.event }] : []));
  }

  /** Creates or replaces; the gateway must exist, checked in the same transaction as the write. */
  async set(def: NotificationDefinition): Promise<void> {
    await changeConfiguration(this.knex, async (trx) => {
      if (!(await trx('sms_gateways').where({ identifier: def.gateway }).first())) {
        throw new NotFoundError(`no gateway '${def.gateway}' for notification ${def.identifier}; define it first with 'gateway set ${def.gateway} --module ...' (see 'gateway list')`);
      }
      const now = this.now();
      await trx('notifications')
        .insert({ ...def, created_at: now, updated_at: now })
        .onConflict('identifier')
        .merge(['event', 'gateway', 'recipient', 'text', 'updated_at']);
    });
  }

  /** False when there was no such notification (and nothing moved). */
  async delete(identifier: string): Promise<boolean> {
    return changeConfiguration(this.knex, async (trx) =>
      (await trx('notifications').where({ identifier }).delete()) > 0 ? true : nothingChanged(false),
    );
  }
}

/**
 * The clients each user has logged in from (login_from_new_client). Written only while such a
 * notification exists, after the reply; a client unseen for the retention counts as new again.
 */
export class KnownClientRepository implements KnownClients {
  constructor(private readonly knex: Knex) {}

  /**
   * Records a login of the user from `client`: 'known' when it was seen before, 'new' when it
   * was not but the user has logged in from another client, 'first' for the user's first
   * known login (nothing to compare with: no notification). Two nodes recording the same new
   * client at once: one insert wins, the other finds it known.
   */
  async remember(username: string, realm: string, client: string, now: number): Promise<'known' | 'new' | 'first'> {
    const key = { username, realm, client };
    if ((await this.knex('notification_clients').where(key).update({ last_seen_at: now })) > 0) return 'known';
    const inserted = await this.knex('notification_clients')
      .insert({ ...key, first_seen_at: now, last_seen_at: now })
      .onConflict(['username', 'realm', 'client'])
      .ignore()
      .returning('client');
    if ((inserted as unknown[]).length === 0) return 'known';
    const others = await this.knex('notification_clients').where({ username, realm }).whereNot({ client }).first('client');
    return others ? 'new' : 'first';
  }

  /** Forgets clients not seen since `before`, a bounded batch at a time (1 000: call again). */
  async forget(before: number): Promise<number> {
    const old = this.knex('notification_clients').where('last_seen_at', '<', before).limit(1000).select('username', 'realm', 'client');
    return this.knex('notification_clients').whereIn(['username', 'realm', 'client'], old).delete();
  }
}
