// Accounting (RFC 2866): what a NAS reports about a session, as the store keeps it. One row
// per (RADIUS client, Acct-Session-Id), written by Start, Interim-Update and Stop.

/** Acct-Status-Type values (RFC 2866 §5.1) by name; anything else is counted as `other`. */
export const ACCOUNTING_STATUS = { 1: 'start', 2: 'stop', 3: 'interim', 7: 'on', 8: 'off' } as const;
export type AccountingStatus = (typeof ACCOUNTING_STATUS)[keyof typeof ACCOUNTING_STATUS] | 'other';

/** What names a session, in an event and in its row: the NAS, its session id and who it was. */
interface SessionIdentity {
  /** The RADIUS client's name in the configuration. */
  readonly client: string;
  readonly sessionId: string;
  /** User-Name as the NAS sent it ('' when it sent none). */
  readonly username: string;
  readonly nasIpAddress: string;
  readonly nasIdentifier: string;
  readonly framedIpAddress: string;
  readonly callingStationId: string;
}

/** One Start, Interim-Update or Stop, as the store's upsert takes it. */
export interface AccountingEvent extends SessionIdentity {
  readonly status: 'start' | 'interim' | 'stop';
  /** Epoch ms when the event happened at the NAS: arrival minus Acct-Delay-Time. */
  readonly at: number;
  /** Acct-Session-Time in seconds, when sent. */
  readonly sessionTime?: number;
  /** Octets with their gigawords (RFC 2869 §5.1, §5.2) folded in, when sent. */
  readonly inputOctets?: number;
  readonly outputOctets?: number;
  /** Acct-Terminate-Cause by name (RFC 2866 §5.10), on Stop. */
  readonly terminateCause?: string;
}

/** A session row as listed (`session list`, GET /session/). Times in epoch ms; null when unknown. */
export interface AccountingSession extends SessionIdentity {
  readonly startedAt: number | null;
  readonly updatedAt: number;
  readonly stoppedAt: number | null;
  readonly sessionTime: number | null;
  readonly inputOctets: number | null;
  readonly outputOctets: number | null;
  readonly terminateCause: string;
}

/** Acct-Terminate-Cause names (RFC 2866 §5.10). */
export const TERMINATE_CAUSES: Readonly<Record<number, string>> = {
  1: 'User-Request', 2: 'Lost-Carrier', 3: 'Lost-Service', 4: 'Idle-Timeout', 5: 'Session-Timeout',
  6: 'Admin-Reset', 7: 'Admin-Reboot', 8: 'Port-Error', 9: 'NAS-Error', 10: 'NAS-Request',
  11: 'NAS-Reboot', 12: 'Port-Unneeded', 13: 'Port-Preempted', 14: 'Port-Suspended',
  15: 'Service-Unavailable', 16: 'Callback', 17: 'User-Error', 18: 'Host-Request',
};
