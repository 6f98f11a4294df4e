// Notifications (privacyIDEA's UserNotification handler, for SMS), as a subscriber of the
// login core's events: the core knows nothing of them. Each one goes out after the event's
// reply has left (the login never waits for it), and a notification that fails is logged
// and nothing else: it never fails or delays a login.
import { AfterReply } from '../core/after-reply.js';
import { OncePerWindow } from '../core/limits/once-per-window.js';
import { destinationOf, type Destination } from '../core/login/phone-of.js';
import { isAllowedNumber } from '../core/limits/calling-code.js';
import type { Token } from '../core/model.js';
import type { AuthEvent, EventSink, SmsSender, UserDirectory } from '../core/ports.js';
import { redactPhone } from '../core/redact.js';
import { renderTemplate, timeTags, userTags } from '../core/templates.js';
import type { SettingValues } from '../core/settings.js';
import { OWNER, type KnownClients, type NotificationDefinition } from './definition.js';
import { occurrenceOf, type Occurrence } from './occurrence.js';

/** The same text to the same number by the same notification within this long is sent once. */
const REPEAT_WINDOW_MS = 60_000;

export interface NotificationLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface NotificationPorts {
  readonly definitions: () => readonly NotificationDefinition[];
  readonly settings: () => SettingValues;
  readonly sms: SmsSender;
  readonly directory: UserDirectory;
  readonly tokenOf: (serial: string) => Promise<Token | undefined>;
  readonly knownClients: KnownClients;
  readonly now: () => number;
  readonly log: NotificationLog;
}

export class NotificationDispatcher implements EventSink {
  private readonly afterReply = new AfterReply();
  private readonly repeats = new OncePerWindow(REPEAT_WINDOW_MS);

  constructor(private readonly ports: NotificationPorts) {}

  emit(event: AuthEvent): void {
    const occurrence = occurrenceOf(event);
    if (!occurrence) return;
    const matching = this.ports.definitions().filter((d) => d.event === occurrence.event);
    if (matching.length === 0) return;
    // After the reply: the login that emitted the event has what it waits for already.
    this.afterReply.run(
      () => this.dispatch(occurrence, matching),
      (err: unknown) => this.ports.log.warn({ event: occurrence.event, reason: (err as Error).message }, 'notification failed'),
    );
  }

  /** Resolves when the notifications under way have ended (for a clean stop and for tests). */
  idle(): Promise<void> {
    return this.afterReply.idle();
  }

  private async dispatch(occurrence: Occurrence, definitions: readonly NotificationDefinition[]): Promise<void> {
    const now = this.ports.now();
    if (occurrence.event === 'login_from_new_client') {
      const { user, client } = occurrence;
      if (!user || client === undefined) return;
      if ((await this.ports.knownClients.remember(user.username, user.realm, client, now)) !== 'new') return;
    }
    const person = occurrence.user ? await this.lookup(occurrence.user) : undefined;
    await Promise.all(definitions.map((def) => this.send(def, occurrence, person, now)));
  }

  private async send(def: NotificationDefinition, occurrence: Occurrence, person: Parameters<typeof userTags>[0] | undefined, now: number): Promise<void> {
    const fields = { notification: def.identifier, event: occurrence.event, gateway: def.gateway };
    try {
      const owner = def.recipient === OWNER ? await this.ownerPhone(occurrence) : { phone: def.recipient };
      if ('problem' in owner) {
        this.ports.log.warn({ ...fields, reason: owner.problem }, 'notification not sent: no number for the owner');
        return;
      }
      const { phone } = owner;
      if (!isAllowedNumber(phone, this.ports.settings()['sms.allowed_prefixes'])) {
        this.ports.log.warn({ ...fields, phone: redactPhone(phone) }, 'notification not sent: the number is outside sms.allowed_prefixes');
        return;
      }
      const text = renderTemplate(def.text, {
        ...(person ? userTags(person) : {}),
        ...timeTags(new Date(now)),
        event: occurrence.event,
        ...occurrence.tags,
        phone_redacted: redactPhone(phone),
      });
      if (!this.repeats.first(`${def.identifier}\n${phone}\n${text}`, now)) return;
      await this.ports.sms.send(def.gateway, phone, text);
      this.ports.log.info({ ...fields, phone: redactPhone(phone) }, 'notification sent');
    } catch (err) {
      this.ports.log.warn({ ...fields, reason: (err as Error).message }, 'notification not sent');
    }
  }

  /**
   * The number of the user the event is about: the one it names, else its token's, the way
   * the token's own SMS would go (a dynamic phone read from the directory and normalised).
   */
  private async ownerPhone(occurrence: Occurrence): Promise<Destination> {
    if (occurrence.phone !== undefined) return { phone: occurrence.phone };
    if (occurrence.serial === undefined) return { phone: '', problem: 'the event names no token' };
    const token = await this.ports.tokenOf(occurrence.serial);
    if (!token) return { phone: '', problem: `token ${occurrence.serial} is gone` };
    return destinationOf(this.ports.directory, this.ports.settings()['sms.default_country_code'], token);
  }

  private async lookup(user: { username: string; realm: string }) {
    try {
      return { ...user, ...(await this.ports.directory.lookup(user.username, user.realm)) };
    } catch {
      // A directory that cannot be asked leaves the names empty; the notification still goes.
      return user;
    }
  }
}
