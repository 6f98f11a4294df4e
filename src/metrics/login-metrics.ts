// The login core's events as metrics: SMS sent and failed by gateway and module, the
// gateway's send time, and each login round's duration. Labels are operator-chosen names
// (gateway identifiers, module names) and fixed words; never a user, phone, PIN or OTP.
import { Counter, Histogram, type Registry } from 'prom-client';
import type { AuthEvent, EventSink } from '../core/ports.js';

/** The gateway label when the token had none to send through. */
const NO_GATEWAY = '(none)';
/** The module label when the identifier names no gateway definition (any more). */
const UNKNOWN_MODULE = '(unknown)';

export class LoginMetrics implements EventSink {
  private readonly smsSent: Counter<'gateway' | 'module'>;
  private readonly smsFailed: Counter<'gateway' | 'module'>;
  private readonly gatewaySend: Histogram<'gateway' | 'module' | 'result'>;
  private readonly loginDuration: Histogram<'step' | 'outcome'>;
  private readonly smsHeldBack: Counter<'rule'>;
  private readonly smsLate: Counter<'gateway' | 'module' | 'result'>;
  private readonly gatewayDown: Counter<'gateway'>;
  private readonly statesRefused: Counter<'why'>;

  /** moduleOf: the module of a gateway identifier, read from the daemon's in-memory site configuration. */
  constructor(
    registry: Registry,
    private readonly moduleOf: (gateway: string) => string | undefined,
  ) {
    const registers = [registry];
    this.smsSent = new Counter({ name: 'sms_otp_sms_sent_total', help: 'SMS taken by a gateway', labelNames: ['gateway', 'module'], registers });
    this.smsFailed = new Counter({
      name: 'sms_otp_sms_failed_total',
      help: 'SMS not sent: the gateway refused or failed, or the token had no gateway or number',
      labelNames: ['gateway', 'module'],
      registers,
    });
    this.gatewaySend = new Histogram({
      name: 'sms_otp_gateway_send_seconds',
      help: 'Time a gateway took to take (or refuse) an SMS',
      labelNames: ['gateway', 'module', 'result'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.loginDuration = new Histogram({
      name: 'sms_otp_login_duration_seconds',
      help: 'Time the login core took for one request, by round (first_factor, challenge_answer, resend, trigger) and outcome',
      labelNames: ['step', 'outcome'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.smsHeldBack = new Counter({
      name: 'sms_otp_sms_held_back_total',
      help: 'SMS not sent because of an SMS limit (rule phone, user, client, prefix) or sms.allowed_prefixes (rule allowed_prefixes)',
      labelNames: ['rule'],
      registers,
    });
    this.smsLate = new Counter({
      name: 'sms_otp_sms_late_total',
      help: 'SMS whose gateway had not answered by sms_deadline (the challenge went out without waiting), by how the send ended',
      labelNames: ['gateway', 'module', 'result'],
      registers,
    });
    this.gatewayDown = new Counter({
      name: 'sms_otp_gateway_down_total',
      help: 'Times a failover member was found unreachable and blocked',
      labelNames: ['gateway'],
      registers,
    });
    this.statesRefused = new Counter({
      name: 'sms_otp_states_refused_total',
      help: 'States refused without a store read: not issued by this site (forged) or past their expiry (expired)',
      labelNames: ['why'],
      registers,
    });
  }

  emit(event: AuthEvent): void {
    switch (event.type) {
      case 'login':
        this.loginDuration.observe({ step: event.step, outcome: event.outcome }, event.durationMs / 1000);
        return;
      case 'sms_sent': {
        const labels = this.labelsOf(event.gateway);
        this.smsSent.inc(labels);
        this.gatewaySend.observe({ ...labels, result: 'sent' }, event.durationMs / 1000);
        return;
      }
      case 'sms_failed': {
        const labels = this.labelsOf(event.gateway);
        this.smsFailed.inc(labels);
        if (event.durationMs !== undefined) this.gatewaySend.observe({ ...labels, result: 'failed' }, event.durationMs / 1000);
        return;
      }
      case 'sms_limit_reached':
        this.smsHeldBack.inc({ rule: event.limit });
        return;
      case 'sms_number_refused':
        this.smsHeldBack.inc({ rule: 'allowed_prefixes' });
        return;
      case 'sms_late':
        this.smsLate.inc({ ...this.labelsOf(event.gateway), result: event.sent ? 'sent' : 'failed' });
        return;
      case 'gateway_down':
        this.gatewayDown.inc({ gateway: event.gateway });
        return;
      case 'state_refused':
        this.statesRefused.inc({ why: event.why });
        return;
      default:
        return;
    }
  }

  private labelsOf(gateway: string | null): { gateway: string; module: string } {
    if (gateway === null || gateway === '') return { gateway: NO_GATEWAY, module: NO_GATEWAY };
    return { gateway, module: this.moduleOf(gateway) ?? UNKNOWN_MODULE };
  }
}
