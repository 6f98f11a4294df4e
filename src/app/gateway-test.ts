// An operator's test send through a gateway, audited like a login's SMS: the gateway, the
// redacted number, who ran it and whether the gateway took the message (or why not).
import type { MemberSender } from '../gateways/provider.js';
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

/**
 * Sends; the audit row is written either way, then a failure is rethrown. Resolves with the
 * gateway that took the message (a failover gateway's member, or the gateway itself).
 */
export async function testGateway(sms: MemberSender, audit: AuditRepository, t: GatewayTest): Promise<string> {
  const at = t.now();
  let failure: unknown;
  let deliveredBy = t.gateway;
  try {
    deliveredBy = await sms.deliver(t.gateway, t.phone, t.message);
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
    reason: failure !== undefined ? (failure as Error).message : deliveredBy === t.gateway ? 'accepted by the gateway' : `accepted by member ${deliveredBy}`,
    gateway: t.gateway,
    phone: redactPhone(t.phone),
    nas: { callingStationId: '', ipAddress: '', identifier: '' },
  });
  if (failure !== undefined) throw failure;
  return deliveredBy;
}
