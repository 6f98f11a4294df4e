// Every datagram the RADIUS front leaves unanswered passes through here, so none goes
// silently: it is counted per client and reason (sms_otp_radius_drops_total), logged at debug
// level one line per datagram, and warned about at most once per client and reason every
// 10 s (WarnOnce: the lines it held back are summed up when the period ends). A NAS that
// gets no answer retries and then marks the server dead; the warning says why it got none.
import type { Logger } from 'pino';
import type { DropReason } from './packet.js';
import type { RadiusStats } from './stats.js';
import type { WarnOnce } from './warnings.js';

const MALFORMED = 'malformed RADIUS datagram dropped: something that is no RADIUS client sends to this port, or a broken one';

/** The operator's hint per reason: what was dropped and what to do about it. */
export const DROP_HINTS: Readonly<Record<DropReason, string>> = {
  too_short: MALFORMED,
  too_long: MALFORMED,
  bad_length: MALFORMED,
  bad_attribute: MALFORMED,
  too_many_attributes: MALFORMED,
  bad_password: 'User-Password does not decrypt to UTF-8 text of at most 128 bytes: probably a shared secret mismatch with this client',
  bad_message_authenticator:
    'Message-Authenticator does not verify: the shared secret of this client differs from ours (radius.clients)',
  missing_message_authenticator:
    'request without Message-Authenticator dropped: upgrade the client to send one, or set ' +
    'require_message_authenticator: no (or auto) for it in radius.clients',
  proxy_state_without_message_authenticator: 'request with Proxy-State but no Message-Authenticator dropped (limit_proxy_state)',
  eap_without_message_authenticator: 'EAP Access-Request without Message-Authenticator dropped (RFC 3579 requires one with EAP-Message)',
  unknown_client: 'datagram from an address that is no configured RADIUS client dropped (radius.clients)',
  unsupported_code: 'RADIUS packet of a code this port does not serve dropped (it takes Access-Request and Status-Server)',
  stopping: 'RADIUS datagram dropped: the daemon is shutting down (the NAS retries its next server)',
  missing_attribute: 'Accounting-Request without the attributes RFC 2866 requires (Acct-Status-Type, Acct-Session-Id) dropped',
  bad_request_authenticator:
    'Accounting-Request whose Request Authenticator does not verify dropped: the shared secret of this client differs from ours (radius.clients)',
  not_ready:
    'Status-Server not answered: the daemon cannot answer in time (the store does not answer, or the PIN-check queue ' +
    'is near its bound), so the NAS fails over to its next server',
};

/** What identifies the sender in the log lines (never a password). */
export interface DropSource {
  readonly address: string;
  readonly port?: number;
}

export class Drops {
  constructor(
    private readonly stats: RadiusStats,
    private readonly warnings: WarnOnce,
    private readonly log: Logger,
  ) {}

  /** A datagram dropped unanswered: counted, a debug line, and a throttled warning. */
  drop(client: string, reason: DropReason, source: DropSource, detail?: string): void {
    this.stats.drop(client, reason);
    this.debug(client, reason, source, detail);
    this.warnings.warn(`drop-${reason}`, client, { address: source.address, reason }, DROP_HINTS[reason]);
  }

  /**
   * A request left unanswered that its own counter already counts (a retransmission while the
   * first copy is worked on: duplicates; a shed request: shed). A debug line per datagram; a
   * throttled warning only where the operator has something to look at (`warning`).
   */
  unanswered(client: string, reason: string, source: DropSource, warning?: string): void {
    this.debug(client, reason, source, undefined);
    if (warning) this.warnings.warn(`unanswered-${reason}`, client, { address: source.address, reason }, warning);
  }

  private debug(client: string, reason: string, source: DropSource, detail: string | undefined): void {
    if (!this.log.isLevelEnabled('debug')) return;
    this.log.debug({ client, ...source, reason, ...(detail === undefined ? {} : { detail }) }, 'packet dropped');
  }
}
