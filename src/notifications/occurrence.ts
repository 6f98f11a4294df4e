// Which core events a notification listens to, and what each tells a notification: the
// user it is about (owner), the token or number that reaches them, and the event's own tags.
import { minutesToWait } from '../core/login/sms-limits.js';
import type { AuthEvent } from '../core/ports.js';
import type { NotificationEvent } from './definition.js';

export interface Occurrence {
  readonly event: NotificationEvent;
  /** The user the event is about; absent for gateway_down. */
  readonly user?: { readonly username: string; readonly realm: string };
  /** The token whose number is the owner's. */
  readonly serial?: string;
  /** The owner's number when the event names it (sms_limit_reached). */
  readonly phone?: string;
  /** login_from_new_client: the client to compare with the user's known ones. */
  readonly client?: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** The notification event a core event is, if any. */
export function occurrenceOf(event: AuthEvent): Occurrence | undefined {
  switch (event.type) {
    case 'authentication': {
      if (event.action !== 'accept') return undefined;
      // The caller's address says more of "where from" than the NAS that relayed it.
      const client = event.callingStationId !== '' ? event.callingStationId : event.client;
      return {
        event: 'login_from_new_client',
        user: { username: event.username, realm: event.realm },
        ...(event.serials[0] === undefined ? {} : { serial: event.serials[0] }),
        client,
        tags: { serial: event.serials.join(','), client, nas: event.client },
      };
    }
    case 'token_locked':
    case 'token_enrolled':
      return {
        event: event.type,
        user: { username: event.username, realm: event.realm },
        serial: event.serial,
        tags: { serial: event.serial, client: event.client, nas: event.client },
      };
    case 'sms_limit_reached':
      // Once per limit, key and window on the whole site: the notification must not become the flood.
      if (!event.firstRefusal) return undefined;
      return {
        event: 'sms_limit_reached',
        user: { username: event.username, realm: event.realm },
        phone: event.phone,
        tags: {
          limit: `sms.limit.${event.limit}`,
          retry_minutes: String(minutesToWait(event.retryAfterSeconds * 1000)),
          reason: event.subject,
          client: event.client,
          nas: event.client,
        },
      };
    case 'gateway_down':
      return { event: 'gateway_down', tags: { gateway: event.gateway, reason: event.reason } };
    default:
      return undefined;
  }
}
