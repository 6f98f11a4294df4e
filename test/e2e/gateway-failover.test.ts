// The failover module with real peers: an HTTP gateway on loopback as the backup, a closed
// port or a gateway answering 503 as the primary that is down, the real daemon and CLI, and
// radclient as the NAS. On PostgreSQL, two daemons share the primary's block.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, freeTcpPort, type TestDaemon } from '../helpers/daemon.js';
import { RFC4226_KEY } from '../helpers/fs.js';
import { createTestDatabase } from '../helpers/pg.js';
import { radclient } from '../helpers/radius-clients.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';

interface HealthJson {
  identifier: string;
  health: { blocked: boolean; failures: number; blockedUntil: string; reason: string } | null;
}

const healthOf = async (daemon: TestDaemon, id: string) =>
  (JSON.parse(await daemon.ok('gateway', 'list', '--json')) as HealthJson[]).find((g) => g.identifier === id)?.health;

async function login(daemon: TestDaemon, gw: SmsGateway): Promise<{ ms: number; code: string; otp: string }> {
  const started = Date.now();
  const first = await radclient(daemon, { 'User-Name': '"alice"', 'User-Password': '"pin1234"' });
  const ms = Date.now() - started;
  if (first.code !== 'Access-Challenge') return { ms, code: first.code, otp: '' };
  const otp = (await gw.next()).query.get('text') ?? '';
  const second = await radclient(daemon, { 'User-Name': '"alice"', 'User-Password': `"${otp}"`, State: first.attributes.State?.[0] ?? '' });
  return { ms, code: second.code, otp };
}

const gatewayDownLines = (daemon: TestDaemon, id: string) =>
  daemon.logs().split('\n').filter((l) => l.includes('gateway unreachable') && l.includes(`"gateway":"${id}"`));

describe('failover gateway on one daemon', () => {
  let daemon: TestDaemon;
  let backup: SmsGateway;
  /** The operator's phone: gateway_down notifications go there through a gateway of their own. */
  let operator: SmsGateway;

  beforeAll(async () => {
    backup = await startSmsGateway();
    operator = await startSmsGateway();
    daemon = await createDaemon({ radius: { reject_delay: '0' } });
    const closed = `http://127.0.0.1:${await freeTcpPort()}/sms`;
    await daemon.ok('gateway', 'set', 'primary', '--module', 'http', '--option', `URL=${closed}`, '--option', 'to={phone}', '--option', 'text={otp}');
    await daemon.ok('gateway', 'set', 'backup', '--module', 'http', '--option', `URL=${backup.url}`, '--option', 'to={phone}', '--option', 'text={otp}');
    await daemon.ok('gateway', 'set', 'fo', '--module', 'failover', '--option', 'GATEWAYS=primary, backup');
    await daemon.ok('setting', 'set', 'sms.identifier', 'fo');
    await daemon.ok('gateway', 'set', 'ops', '--module', 'http', '--option', `URL=${operator.url}`, '--option', 'to={phone}', '--option', 'text={otp}');
    await daemon.ok('notification', 'set', 'down', '--event', 'gateway_down', '--gateway', 'ops', '--to', '+4930999999', '--text', 'Gateway {gateway} is down: {reason}');
    await daemon.ok('token', 'enroll', '--user', 'alice', '--phone', '+4917012345', '--pin', 'pin1234', '--otpkey', RFC4226_KEY, '--serial', 'PISM0001');
    await daemon.start();
  });
  afterAll(async () => {
    await daemon?.stop();
    await backup?.close();
    await operator?.close();
  });

  it('primary down (closed port): the backup delivers within the deadline, the OTP works, and the primary is blocked once', async () => {
    const r = await login(daemon, backup);
    expect(r.code).toBe('Access-Accept');
    expect(r.ms).toBeLessThan(4000);
    const health = await healthOf(daemon, 'primary');
    expect(health).toMatchObject({ blocked: true, failures: 1 });
    expect(health!.reason).toMatch(/ECONNREFUSED|refused/);
    const until = Date.parse(health!.blockedUntil) - Date.now();
    expect(until).toBeGreaterThan(20_000);
    expect(until).toBeLessThanOrEqual(30_000);
    expect(await healthOf(daemon, 'backup')).toBeNull();
    expect(await daemon.ok('gateway', 'list')).toMatch(/primary\s+http\s+\S+\s+blocked until \S+ \(1x unreachable\)/);

    // A second login skips the blocked primary: still one block, one log line.
    expect((await login(daemon, backup)).code).toBe('Access-Accept');
    expect((await healthOf(daemon, 'primary'))!.failures).toBe(1);
    expect(gatewayDownLines(daemon, 'primary')).toHaveLength(1);
  });

  it('the blocked primary is told to the operator once, through the notification gateway (gateway_down)', async () => {
    const sms = await operator.next();
    expect(sms.query.get('to')).toBe('+4930999999');
    expect(sms.query.get('text')).toMatch(/^Gateway primary is down: .*(ECONNREFUSED|refused)/);
    // The next login skips the blocked primary: no second notification for the same outage.
    expect((await login(daemon, backup)).code).toBe('Access-Accept');
    await new Promise((r) => setTimeout(r, 300));
    expect(operator.received).toHaveLength(1);
  });

  it('gateway test says which member delivered; gateway reset unblocks the primary', async () => {
    const tested = await daemon.ok('gateway', 'test', 'fo', '--phone', '+4917099');
    expect(tested).toBe('gateway fo accepted the message (delivered by member backup)');
    expect((await backup.next()).query.get('to')).toBe('+4917099');
    expect(await daemon.ok('gateway', 'test', 'backup', '--phone', '+4917099')).toBe('gateway backup accepted the message');
    await backup.next();

    expect(await daemon.ok('gateway', 'reset', 'primary')).toBe('gateway primary reset (it had been unreachable 1x)');
    expect(await healthOf(daemon, 'primary')).toBeNull();
    expect(await daemon.ok('gateway', 'reset', 'primary')).toBe('gateway primary was not blocked');
    const missing = await daemon.cli('gateway', 'reset', 'nosuch');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no gateway 'nosuch'");

    // Tried again after the reset, failed again: the count starts over at one.
    expect((await login(daemon, backup)).code).toBe('Access-Accept');
    expect(await healthOf(daemon, 'primary')).toMatchObject({ blocked: true, failures: 1 });
  });

  it('when every member fails, the login is rejected with the reference message', async () => {
    backup.respond(500, 'down');
    const r = await radclient(daemon, { 'User-Name': '"alice"', 'User-Password': '"pin1234"' });
    backup.respond(200, 'OK');
    expect(r.code).toBe('Access-Reject');
    expect(r.attributes['Reply-Message']).toEqual(['The PIN was correct, but the SMS could not be sent!']);
    await backup.next();
    expect(daemon.logs()).toMatch(/no member delivered \(backup: POST|no member delivered \(backup: GET/);
    await daemon.ok('gateway', 'reset', 'backup');
  });

  it('refuses members that do not exist, the gateway itself, cycles, push gateways, and deleting a member', async () => {
    const refused = async (args: string[], message: string) => {
      const r = await daemon.cli(...args);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(message);
    };
    await refused(['gateway', 'set', 'fo2', '--module', 'failover', '--option', 'GATEWAYS=backup,nosuch'], "option GATEWAYS: no gateway 'nosuch'");
    await refused(['gateway', 'set', 'fo2', '--module', 'failover', '--option', 'GATEWAYS=fo2'], 'fo2 → fo2 leads back to fo2 itself');
    await refused(['gateway', 'set', 'fo2', '--module', 'failover'], 'option GATEWAYS is required');
    await refused(['gateway', 'set', 'fo2', '--module', 'failover', '--option', 'GATEWAYS=a;b'], 'option GATEWAYS must be gateway ids');
    await refused(['gateway', 'set', 'fo2', '--module', 'failover', '--option', 'GATEWAYS=backup,backup'], 'option GATEWAYS names backup twice');
    await daemon.ok('gateway', 'set', 'outer', '--module', 'failover', '--option', 'GATEWAYS=fo');
    // fo → ... → outer → fo: changing fo to name outer would close a cycle.
    await refused(['gateway', 'set', 'fo', '--module', 'failover', '--option', 'GATEWAYS=backup,outer'], 'fo → outer → fo leads back to fo itself');
    await refused(['gateway', 'delete', 'primary'], 'it is a member of failover gateway fo');
    expect(JSON.parse(await daemon.ok('gateway', 'show', 'fo')).options.GATEWAYS).toBe('primary, backup');
  });
});

describe('failover gateway on two daemons sharing PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let a: TestDaemon;
  let b: TestDaemon;
  let primary: SmsGateway;
  let backup: SmsGateway;

  beforeAll(async () => {
    db = await createTestDatabase();
    primary = await startSmsGateway();
    primary.respond(503, 'maintenance');
    backup = await startSmsGateway();
    a = await createDaemon({ database: { client: 'pg', url: db.url }, radius: { reject_delay: '0' } });
    await a.ok('gateway', 'set', 'primary', '--module', 'http', '--option', `URL=${primary.url}`, '--option', 'to={phone}', '--option', 'text={otp}');
    await a.ok('gateway', 'set', 'backup', '--module', 'http', '--option', `URL=${backup.url}`, '--option', 'to={phone}', '--option', 'text={otp}');
    await a.ok('gateway', 'set', 'fo', '--module', 'failover', '--option', 'GATEWAYS=primary,backup');
    await a.ok('setting', 'set', 'sms.identifier', 'fo');
    await a.ok('token', 'enroll', '--user', 'alice', '--phone', '+4917012345', '--pin', 'pin1234', '--otpkey', RFC4226_KEY, '--serial', 'PISM0001');
    await a.start();
    b = await createDaemon({ database: { client: 'pg', url: db.url }, keyfile: a.keyfile, radius: { reject_delay: '0' } });
    await b.start();
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await primary?.close();
    await backup?.close();
    await db?.drop();
  });

  it('a primary that answers 5xx on one node is not tried by the other during its block; a reset lets both try it again', async () => {
    expect((await login(a, backup)).code).toBe('Access-Accept');
    expect(primary.received).toHaveLength(1);
    await primary.next(); // the refused one: the OTP of the login below is the next
    expect(await healthOf(b, 'primary')).toMatchObject({ blocked: true, failures: 1 });

    for (const node of [b, a, b]) expect((await login(node, backup)).code).toBe('Access-Accept');
    expect(primary.received).toHaveLength(1);
    expect(gatewayDownLines(a, 'primary')).toHaveLength(1);
    expect(gatewayDownLines(b, 'primary')).toHaveLength(0);

    // Back in service and reset: the next login on the other node goes through the primary.
    primary.respond(200, 'OK');
    await a.ok('gateway', 'reset', 'primary');
    const before = backup.received.length;
    expect((await login(b, primary)).code).toBe('Access-Accept');
    expect(primary.received).toHaveLength(2);
    expect(backup.received).toHaveLength(before);
    expect(await healthOf(a, 'primary')).toBeNull();
  });
});
