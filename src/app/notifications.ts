// The notifications (SMS sent when something happens): the application layer the CLI's
// `notification` commands use. A definition is checked here (src/notifications/definition.ts)
// before the store is touched.
import { NotFoundError } from '../core/errors.js';
import { checkDefinition, type NotificationDefinition } from '../notifications/definition.js';
import type { Store } from '../store/index.js';

export { EVENT_MEANING, EVENT_TAGS, NOTIFICATION_EVENTS, OWNER } from '../notifications/definition.js';

export interface NotificationRequest {
  readonly identifier: string;
  readonly event: string;
  readonly gateway: string;
  readonly recipient: string;
  readonly text: string;
}

export class NotificationAdmin {
  constructor(private readonly store: Store) {}

  /** Checks and saves a definition; resolves to it as saved. */
  async set(request: NotificationRequest): Promise<NotificationDefinition> {
    const definition = checkDefinition(request);
    await this.store.notifications.set(definition);
    return definition;
  }

  list(): Promise<NotificationDefinition[]> {
    return this.store.notifications.list();
  }

  async delete(identifier: string): Promise<void> {
    if (!(await this.store.notifications.delete(identifier))) throw new NotFoundError(`no notification '${identifier}' (see notification list)`);
  }
}
