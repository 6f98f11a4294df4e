// The login core's events written to the daemon's log (pino). Never a PIN, OTP or secret:
// events carry none.
import type { Logger } from 'pino';
import type { AuthEvent, EventSink } from '../core/ports.js';

export class LogEvents implements EventSink {
  constructor(private readonly log: Logger) {}

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
      case 'deferred_failed':
        this.log.error({ reason: event.reason }, 'work after a reply failed');
        return;
      case 'login':
      case 'sms_sent':
        // Timings for the metrics; the 'authentication' event already logs the outcome.
        return;
    }
  }
}
