// An operator's test send through a gateway, audited like a login's SMS: the gateway, the
// redacted number, who ran it and whether the gateway took the message (or why not).
import type { SmsSender } from '../core/ports.js';
import { redactPhone } from '../core/redact.js';
import type { AuditRepository } from '../store/audit.js';

export interface GatewayTest {
  readonly gateway: string;
  readonly phone: string;
  readonly message: string;
  /** Who asked: the operating-system account of a CLI user, the API's authenticated admin. */
  readonly operator: string;
  /** Where from: `cli`, later `api`. */
  readonly origin: string;
  readonly now: () => number;
}

/** Sends; the audit row is written either way, then a failure is rethrown. */
export async function testGateway(sms: SmsSender, audit: AuditRepository, t: GatewayTest): Promise<void> {
  const at = t.now();
  let failure: unknown;
  try {
    await sms.send(t.gateway, t.phone, t.message);
  } catch (err) {
    failure = err;
  }
  await audit.append({
    at,
    action: 'gateway-test',
    username: t.operator,
    realm: '',
    client: t.origin,
    clientAddress: '',
    serials: [],
    reason: failure === undefined ? 'accepted by the gateway' : (failure as Error).message,
    gateway: t.gateway,
    phone: redactPhone(t.phone),
    nas: { callingStationId: '', ipAddress: '', identifier: '' },
  });
  if (failure !== undefined) throw failure;
}
