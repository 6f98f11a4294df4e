// What every step of one login needs: the request, who it is for, the settings and the
// time it started, and the ports of the core.
import type { SettingValues } from '../settings.js';
import type {
  AuthStore,
  Clock,
  EventSink,
  PinCheckPriority,
  PinUpgrades,
  PinVerifier,
  PolicySource,
  RateLimiter,
  SettingsSource,
  SmsSender,
  UpstreamRadius,
  UserDirectory,
} from '../ports.js';
import type { TemplateUser } from '../templates.js';
import type { FailSlots } from './fail-slots.js';
import type { TransactionIds } from '../transaction-ids.js';
import type { RecentChallenges } from './recent-challenges.js';
import type { RecentFailures } from './recent-failures.js';
import type { AuthRequest } from './request.js';

export interface LoginPorts {
  readonly store: AuthStore;
  readonly pins: PinVerifier;
  readonly sms: SmsSender;
  readonly settings: SettingsSource;
  readonly clock: Clock;
  readonly events: EventSink;
  readonly directory: UserDirectory;
  /** Every SMS of a login (challenge, resend, smsautosend, enrollment by challenge) is counted here first. */
  readonly rateLimits: RateLimiter;
  readonly recentFailures: RecentFailures;
  /** Slots against the fail counter, taken before a PIN is checked (one set per node). */
  readonly failSlots: FailSlots;
  /** Issues the States and refuses, without the store, those we did not issue or that expired. */
  readonly transactionIds: TransactionIds;
  /** The site's policies (absent: none, the site settings alone decide). */
  readonly policies?: PolicySource;
  /** The challenges issued lately, to repeat rather than send again (absent: every request sends). */
  readonly recentChallenges?: RecentChallenges;
  /** Another RADIUS server logins without a token are forwarded to (passthru=radius:NAME); absent: none can be. */
  readonly upstream?: UpstreamRadius;
  /** Where a carried-over PIN hash is replaced by ours after a correct PIN (absent: it is kept). */
  readonly pinUpgrades?: PinUpgrades;
}

export interface LoginContext {
  readonly request: AuthRequest;
  readonly user: TemplateUser;
  /** The site settings, overlaid by the authentication policies that match the user (src/core/login/policy-context.ts). */
  readonly settings: SettingValues;
  /** The authentication policies that set some of `settings`, for the audit row. */
  readonly decidedBy?: readonly string[];
  readonly now: number;
  /** Names with recent failures wait behind everyone else for the PIN hash. */
  readonly priority: PinCheckPriority;
  /**
   * Work that follows the decision but must not hold the reply (the smsautosend SMS): it
   * runs after the verdict is committed; the service waits for it only when it stops.
   */
  readonly defer: (work: () => Promise<void>) => void;
}
