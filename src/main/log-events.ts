// The login core's events written to the daemon's log (pino). Never a PIN, OTP or secret:
// events carry none.
import type { Logger } from 'pino';
import { OncePerWindow } from '../core/limits/once-per-window.js';
import type { AuthEvent, EventSink } from '../core/ports.js';

/** One warning per limit and key in this long: a flood must not flood the log too. */
const LIMIT_WARNING_INTERVAL_MS = 60_000;
/** Clients whose refused States are counted between log lines (a bound: client names come from the config). */
const MAX_STATE_KEYS = 10_000;

export class LogEvents implements EventSink {
  private readonly limitWarnings = new OncePerWindow(LIMIT_WARNING_INTERVAL_MS);
  private readonly stateWarnings = new OncePerWindow(LIMIT_WARNING_INTERVAL_MS);
  /** States refused since the last line of their client and kind. */
  private readonly statesSince = new Map<string, number>();

  constructor(
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  emit(event: AuthEvent): void {
    switch (event.type) {
      case 'authentication': {
        if (!this.log.isLevelEnabled('info')) return;
        const { username, realm, client, serials, action, reason } = event;
        this.log.info({ user: username, realm, client, serials, action, reason }, 'authentication');
        return;
      }
      case 'sms_failed':
        this.log.error({ serial: event.serial, gateway: event.gateway, reason: event.reason }, 'SMS not sent');
        return;
      case 'configuration':
        this.log.error({ serial: event.serial }, event.problem);
        return;
      case 'autosend':
        if (event.sent) this.log.info({ user: event.username, realm: event.realm, serial: event.serial }, 'next OTP sent (smsautosend)');
        return;
      case 'sms_late':
        if (event.sent) this.log.info({ serial: event.serial, gateway: event.gateway }, event.reason);
        else this.log.error({ serial: event.serial, gateway: event.gateway }, event.reason);
        return;
      case 'gateway_down':
        this.log.warn({ gateway: event.gateway, reason: event.reason }, 'gateway unreachable: failover gateways skip it for now');
        return;
      case 'state_refused': {
        // A spray of States is one line per client and kind a minute, with how many came since.
        const key = `${event.client}\u0000${event.why}`;
        const count = (this.statesSince.get(key) ?? 0) + 1;
        if (!this.stateWarnings.first(key, this.now())) {
          if (this.statesSince.size < MAX_STATE_KEYS || this.statesSince.has(key)) this.statesSince.set(key, count);
          return;
        }
        this.statesSince.delete(key);
        const why = event.why === 'forged' ? 'not issued by this site' : 'expired';
        this.log.warn({ client: event.client, user: event.username, why: event.why, refused: count }, `State refused without a store read: ${why} (one line per client and kind a minute; refused counts since the last)`);
        return;
      }
      case 'deferred_failed':
        this.log.error({ reason: event.reason }, 'work after a reply failed');
        return;
      case 'login':
      case 'sms_sent':
        // Timings for the metrics; the 'authentication' event already logs the outcome.
        return;
      case 'sms_limit_reached':
        if (!this.limitWarnings.first(event.key, this.now())) return;
        // The subject, never the key: a number shows redacted.
        this.log.warn(
          { limit: `sms.limit.${event.limit}`, subject: event.subject, user: event.username, realm: event.realm, client: event.client, retry_after_s: event.retryAfterSeconds },
          'SMS limit reached: SMS not sent (one warning per limit and key per minute)',
        );
        return;
      case 'sms_number_refused':
        this.log.warn({ phone: event.phone, user: event.username, realm: event.realm, client: event.client }, 'SMS not sent: the number is outside sms.allowed_prefixes');
        return;
      case 'token_locked':
        this.log.warn({ serial: event.serial, user: event.username, realm: event.realm, client: event.client }, 'token locked: fail counter reached maxfail');
        return;
      case 'token_enrolled':
        // By a login (enrollment by challenge) or the HTTP admin API: the client says which.
        this.log.info({ serial: event.serial, user: event.username, realm: event.realm, client: event.client }, 'token enrolled');
        return;
    }
  }
}
