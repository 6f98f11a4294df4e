// The helpdesk's actions and user view restricted to the realms an operator may see, on SQLite
// and PostgreSQL: a user of another realm is refused with the error an unknown user gets, the
// operator is named per call in the audit, the full number is revealed only with an audit row,
// and an SMS token is enrolled for a user of a visible realm.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Helpdesk } from '../../src/app/helpdesk.js';
import { ForbiddenRealmError } from '../../src/app/realm-guard.js';
import { TokenAdmin, TokenAdminError } from '../../src/app/token-admin.js';
import { UserViews } from '../../src/app/user-view.js';
import type { LoginService } from '../../src/core/login/service.js';
import { TransactionIds } from '../../src/core/transaction-ids.js';
import { PinCheckQueue } from '../../src/crypto/pin-check-queue.js';
import { RealmNameDirectory } from '../../src/directory/realm-names.js';
import { GatewayRegistry } from '../../src/gateways/registry.js';
import { buildLogin, buildSite } from '../../src/main/login.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/store.js';

const corpDesk = { operator: 'web:hd@corp', allowedRealms: ['corp'] } as const;

describe.each(STORE_KINDS)('helpdesk realms on %s', (kind) => {
  let t: TestStore;
  let gw: SmsGateway;
  let registry: GatewayRegistry;
  let authStore: ReturnType<TestStore['store']['openAuthStore']>;
  let login: LoginService;
  let admin: TokenAdmin;
  let helpdesk: Helpdesk;
  let views: UserViews;
  let corpSerial: string;
  let labSerial: string;

  beforeEach(async () => {
    t = await openTestStore(kind);
    gw = await startSmsGateway();
    await t.store.settings.setMany([['pin.kdf_cost', '10'], ['sms.default_country_code', '49']]);
    await t.store.gateways.set({ identifier: 'gw1', description: '', module: 'http', options: { URL: gw.url, to: '{phone}', text: '{otp}' }, headers: {} });
    await t.store.settings.setMany([['sms.identifier', 'gw1']]);
    registry = new GatewayRegistry((id) => t.store.gateways.get(id), { scriptDirectory: '/nonexistent', smtpServers: t.store.smtpServers });
    // The login core as the daemon wires it: resend sends through it.
    authStore = t.store.openAuthStore(() => undefined);
    const site = buildSite(t.store, authStore, { onError: () => undefined });
    await site.refresh(true);
    login = buildLogin({
      store: authStore,
      pins: new PinCheckQueue(t.pins),
      sms: registry,
      settings: site,
      policies: site,
      clock: { now: () => t.clock.now },
      events: { emit() {} },
      directory: new RealmNameDirectory(),
      rateLimits: authStore,
      transactionIds: new TransactionIds(randomBytes(32)),
    });
    admin = new TokenAdmin(t.store, t.pins);
    helpdesk = new Helpdesk(t.store, admin, 'root', login, () => t.clock.now);
    views = new UserViews(t.store, admin, new RealmNameDirectory(), () => t.clock.now);
    corpSerial = (await admin.enroll({ username: 'alice', realm: 'corp', phone: '+49 170 1111111', pin: '1234' })).serial;
    labSerial = (await admin.enroll({ username: 'alice', realm: 'lab', phone: '+49 170 2222222', pin: '1234' })).serial;
    await admin.enroll({ username: 'bob', realm: 'lab', phone: '+49 170 3333333', pin: '1234' });
  });
  afterEach(async () => {
    await login.idle();
    await authStore.close();
    await registry.close();
    await gw.close();
    await t.close();
  });

  const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error);
  const lastAdminRow = async () => (await t.store.audit.newest({ action: 'admin' }, 1))[0]!;

  it('acts on the user of the realms it may see only: `alice` means alice@corp, bob@lab and nobody@corp get one error', async () => {
    await t.store.tokens.update(corpSerial, { failcount: 5 });
    await t.store.tokens.update(labSerial, { failcount: 5 });
    expect(await helpdesk.change('reset', { user: 'alice' }, corpDesk)).toEqual([`token ${corpSerial} reset (failcount was 5)`]);
    expect((await t.store.tokens.bySerial(labSerial))!.failcount).toBe(5);
    expect((await lastAdminRow()).reason).toBe(`token ${corpSerial} reset (failcount was 5) (by web:hd@corp)`);

    const other = await failure(helpdesk.change('disable', { user: 'bob@lab' }, corpDesk));
    const unknown = await failure(helpdesk.change('disable', { user: 'nobody@corp' }, corpDesk));
    expect(other).toBeInstanceOf(ForbiddenRealmError);
    expect(unknown).toBeInstanceOf(ForbiddenRealmError);
    expect(other!.message.replace('bob@lab', 'X')).toBe(unknown!.message.replace('nobody@corp', 'X'));
    expect((other as ForbiddenRealmError).spec.http).toBe(403);
    // By serial too: another realm's token and a serial that does not exist alike.
    const bySerial = await failure(helpdesk.delete({ serial: labSerial }, corpDesk));
    const noSerial = await failure(helpdesk.delete({ serial: 'NOSUCH' }, corpDesk));
    expect(bySerial).toBeInstanceOf(ForbiddenRealmError);
    expect(bySerial!.message.replace(labSerial, 'X')).toBe(noSerial!.message.replace('NOSUCH', 'X'));
    for (const attempt of [
      () => helpdesk.set({ user: 'bob@lab' }, { phone: '+49 170 9999999' }, corpDesk),
      () => helpdesk.resend({ user: 'bob@lab' }, corpDesk),
      () => helpdesk.revealPhone({ serial: labSerial }, corpDesk),
      () => helpdesk.change('enable', { user: 'bob' }, corpDesk),
    ]) {
      expect(await failure(attempt())).toBeInstanceOf(ForbiddenRealmError);
    }
    expect(gw.received).toEqual([]);
    expect(await t.store.tokens.bySerial(labSerial)).toMatchObject({ active: true, phone: '+49 170 2222222' });
  });

  it('without realms given acts everywhere, as the CLI does, naming the operator it was made with', async () => {
    expect(await helpdesk.change('disable', { user: 'bob@lab' })).toHaveLength(1);
    expect((await lastAdminRow()).reason).toMatch(/ disabled \(by root\)$/);
    await expect(helpdesk.change('disable', { user: 'alice' })).rejects.toThrow('means 2 users');
  });

  it('resends through the login core for a visible user, naming the operator of the call', async () => {
    const sent = await helpdesk.resend({ user: 'alice' }, corpDesk);
    expect(sent).toMatchObject({ serial: corpSerial, realm: 'corp', gateway: 'gw1', phone: '*************11' });
    expect((await gw.next()).query.get('to')).toBe('+49 170 1111111');
    expect((await lastAdminRow()).reason).toBe(`SMS resent for token ${corpSerial} through gw1 to *************11 (by web:hd@corp)`);
  });

  it('reveals the full number with an audit row', async () => {
    expect(await helpdesk.revealPhone({ user: 'alice' }, corpDesk)).toEqual({ serial: corpSerial, phone: '+49 170 1111111' });
    expect(await lastAdminRow()).toMatchObject({ username: 'alice', realm: 'corp', serials: [corpSerial], reason: `phone of token ${corpSerial} revealed (by web:hd@corp)` });
  });

  it('enrolls an SMS token for a user of a visible realm, the number checked as the HTTP API checks it', async () => {
    const token = await helpdesk.enrollSms({ username: 'carol', realm: 'corp', phone: '0171 4444444', pin: '1234' }, corpDesk);
    expect(token).toMatchObject({ username: 'carol', realm: 'corp', phone: '+491714444444', active: true, locked: false });
    expect(await lastAdminRow()).toMatchObject({ username: 'carol', serials: [token.serial], reason: `SMS token ${token.serial} enrolled for ***********44 (by web:hd@corp)` });
    expect(await failure(helpdesk.enrollSms({ username: 'dave', realm: 'lab', phone: '+49 171 5555555', pin: '1234' }, corpDesk))).toBeInstanceOf(ForbiddenRealmError);
    expect(await failure(helpdesk.enrollSms({ username: 'dave', realm: 'corp', phone: 'call me', pin: '1234' }, corpDesk))).toBeInstanceOf(TokenAdminError);
    expect(await admin.list({ username: 'dave' })).toEqual([]);
  });

  it('shows only the users of the realms it may see', async () => {
    const shown = await views.show('alice', ['corp']);
    expect(shown.map((v) => [v.username, v.realm, v.tokens.map((tk) => tk.phone)])).toEqual([['alice', 'corp', ['*************11']]]);
    expect((await views.show('alice')).map((v) => v.realm).sort()).toEqual(['corp', 'lab']);
    const other = await failure(views.show('bob@lab', ['corp']));
    const unknown = await failure(views.show('nobody@corp', ['corp']));
    expect(other).toBeInstanceOf(ForbiddenRealmError);
    expect(unknown).toBeInstanceOf(ForbiddenRealmError);
    expect(other!.message.replace('bob@lab', 'X')).toBe(unknown!.message.replace('nobody@corp', 'X'));
    expect(await failure(views.show('bob', ['corp']))).toBeInstanceOf(ForbiddenRealmError);
  });
});
