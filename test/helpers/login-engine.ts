// The login core wired as the daemon wires it (src/main/login.ts: hot-path store engine, site
// configuration kept in memory, PIN-check queue), with the test's clock and SMS port. Before each request
// the site configuration is refreshed the way the daemon's poll does it (by revision), so a
// setting changed through the store is seen by the next request.
import type { AuthRequest, AuthResult } from '../../src/core/login/request.js';
import type { EventSink, SmsSender, UserDirectory } from '../../src/core/ports.js';
import { PinCheckQueue } from '../../src/crypto/pin-check-queue.js';
import { RealmNameDirectory } from '../../src/directory/realm-names.js';
import { buildLogin, buildSite } from '../../src/main/login.js';
import { TransactionIds } from '../../src/core/transaction-ids.js';
import { randomBytes } from 'node:crypto';
import type { TestStore } from './store.js';

export interface LoginEngine {
  authenticate(request: AuthRequest): Promise<AuthResult>;
  /** Waits for the work logins deferred past their reply (the smsautosend SMS). */
  idle(): Promise<void>;
  /** The daemon's periodic purge of expired challenges and pending enrollments, once. */
  purgeExpired(now: number): Promise<number>;
  close(): Promise<void>;
}

const quietEvents: EventSink = { emit() {} };

/** `directory`: who the login names mean (default: no user store, names as given). */
export async function openLoginEngine(
  t: TestStore,
  sms: SmsSender,
  directory: UserDirectory = new RealmNameDirectory(),
  events: EventSink = quietEvents,
): Promise<LoginEngine> {
  const authStore = t.store.openAuthStore(() => undefined);
  const site = buildSite(t.store, authStore, { onError: () => undefined });
  await site.refresh(true);
  const service = buildLogin({
    store: authStore,
    pins: new PinCheckQueue(t.pins),
    sms,
    settings: site,
    policies: site,
    clock: { now: () => t.clock.now },
    events,
    directory,
    rateLimits: authStore,
    transactionIds: new TransactionIds(randomBytes(32)),
  });
  return {
    async authenticate(request) {
      await site.refresh();
      return service.authenticate(request);
    },
    idle: () => service.idle(),
    purgeExpired: (now) => authStore.purgeExpired(now),
    async close() {
      await service.idle();
      await authStore.close();
    },
  };
}

/** The SMS port of the domain tests: records what would have been sent, or fails as told. */
export class RecordingSms implements SmsSender {
  readonly sent: Array<{ gateway: string; phone: string; message: string }> = [];
  failWith: string | undefined;
  async send(gateway: string, phone: string, message: string): Promise<void> {
    if (this.failWith) throw new Error(this.failWith);
    this.sent.push({ gateway, phone, message });
  }
  last(): { gateway: string; phone: string; message: string } {
    const sms = this.sent.at(-1);
    if (!sms) throw new Error('no SMS was sent');
    return sms;
  }
}
