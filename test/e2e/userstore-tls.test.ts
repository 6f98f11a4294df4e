// LDAP user stores over TLS against a real slapd with a certificate from a throw-away CA:
// ldaps:// and ldap:// with STARTTLS, each with --ca-file, through the real CLI's
// `userstore test` and a RADIUS login with otppin=userstore (the user's bind goes over TLS
// too). Without the CA, and under a name the certificate does not carry, the connection is
// refused with one line naming the certificate problem.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { RFC4226_KEY } from '../helpers/fs.js';
import { radclient } from '../helpers/radius-clients.js';
import { BASE_DN, PEOPLE_DN, SERVICE_DN, SERVICE_PASSWORD, startSlapd, type Slapd } from '../helpers/slapd.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';
import { certificateAuthority } from '../helpers/tls.js';

const stateOf = (reply: { attributes: Record<string, string[]> }) => reply.attributes.State?.[0] ?? '';
const login = (daemon: TestDaemon, user: string, password: string, state?: string) =>
  radclient(daemon, { 'User-Name': JSON.stringify(user), 'User-Password': JSON.stringify(password), ...(state ? { State: state } : {}) });

describe('LDAP user stores over TLS (LDAPS, STARTTLS, --ca-file)', () => {
  let slapd: Slapd;
  let gw: SmsGateway;
  let daemon: TestDaemon;
  let caFile: string;
  let passwordFile: string;
  /** The certificate names localhost only: 127.0.0.1 reaches the same server under a name it does not carry. */
  let ldaps: string;
  let ldap: string;

  const setStore = (id: string, uri: string, ...extra: string[]) =>
    daemon.ok('userstore', 'set', id, '--uri', uri, '--base-dn', BASE_DN, '--bind-dn', SERVICE_DN,
      '--bind-password-file', passwordFile, '--preset', 'openldap', '--timeout', '2', ...extra);

  /** `userstore test ID --user alice`: the one server's line, the exit status, and how long it took. */
  const testStore = async (id: string) => {
    const started = Date.now();
    const r = await daemon.cli('userstore', 'test', id, '--user', 'alice');
    return { ...r, ms: Date.now() - started, first: r.stdout.split('\n')[0] ?? '' };
  };

  beforeAll(async () => {
    const ca = certificateAuthority(['localhost']);
    caFile = ca.caFile;
    slapd = await startSlapd([{ uid: 'alice', password: 'alice-pw', givenName: 'Alice', sn: 'Liddell', mobile: '+4917011111' }], { tls: ca });
    ldaps = `ldaps://localhost:${slapd.tlsPort}`;
    ldap = `ldap://localhost:${slapd.port}`;
    gw = await startSmsGateway();
    daemon = await createDaemon({ radius: { reject_delay: '0' } });
    passwordFile = path.join(daemon.dir, 'bind.pw');
    writeFileSync(passwordFile, `${SERVICE_PASSWORD}\n`, { mode: 0o600 });
  });
  afterAll(async () => {
    await daemon?.stop();
    await gw?.close();
    await slapd?.stop();
  });

  it('ldaps:// with --ca-file: bound and the user found', async () => {
    await setStore('ldaps', ldaps, '--ca-file', caFile);
    const r = await testStore('ldaps');
    expect(r.code, r.stderr).toBe(0);
    expect(r.first).toBe(`${ldaps}: ok: bound as ${SERVICE_DN}, base DN ${BASE_DN} found`);
    expect(r.stdout).toContain(`dn:         uid=alice,${PEOPLE_DN}`);
  });

  it('ldap:// with --starttls and --ca-file: bound and the user found', async () => {
    await setStore('starttls', ldap, '--starttls', '--ca-file', caFile);
    const r = await testStore('starttls');
    expect(r.code, r.stderr).toBe(0);
    expect(r.first).toBe(`${ldap}: ok: bound as ${SERVICE_DN}, base DN ${BASE_DN} found`);
    expect(r.stdout).toContain('mobile:     +4917011111');
  });

  it('an untrusted certificate (no --ca-file) is refused, over ldaps:// and STARTTLS, in one line that says why', async () => {
    await setStore('untrusted-ldaps', ldaps);
    await setStore('untrusted-starttls', ldap, '--starttls');
    for (const [id, uri] of [['untrusted-ldaps', ldaps], ['untrusted-starttls', ldap]] as const) {
      const r = await testStore(id);
      expect(r.code, id).toBe(1);
      expect(r.stdout, id).toBe(
        `${uri}: FAILED: self-signed certificate in certificate chain (SELF_SIGNED_CERT_IN_CHAIN): ` +
          "the server's certificate is not trusted; give the CA that issued it with --ca-file\n",
      );
      expect(r.stderr, id).toBe(`sms-otp-radiusd: user store ${id} cannot be used: no server answered (${uri})\n`);
      expect(r.ms, id).toBeLessThan(10_000);
    }
  });

  it('a host name the certificate does not carry is refused, over ldaps:// and STARTTLS (not checked against "localhost")', async () => {
    const byIp = { ldaps: `ldaps://127.0.0.1:${slapd.tlsPort}`, starttls: `ldap://127.0.0.1:${slapd.port}` };
    await setStore('mismatch-ldaps', byIp.ldaps, '--ca-file', caFile);
    await setStore('mismatch-starttls', byIp.starttls, '--starttls', '--ca-file', caFile);
    for (const [id, uri] of [['mismatch-ldaps', byIp.ldaps], ['mismatch-starttls', byIp.starttls]] as const) {
      const r = await testStore(id);
      expect(r.code, id).toBe(1);
      expect(r.stdout, id).toBe(
        `${uri}: FAILED: Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is not in the cert's list: (ERR_TLS_CERT_ALTNAME_INVALID): ` +
          "the server's certificate does not name this host; use a name it carries in --uri\n",
      );
      expect(r.ms, id).toBeLessThan(10_000);
    }
  });

  it('RADIUS logins with otppin=userstore: the directory password checked by a bind over LDAPS and over STARTTLS, then SMS and OTP', async () => {
    await daemon.ok('realm', 'set', 'tls', '--userstore', 'ldaps', '--default');
    await daemon.ok('realm', 'set', 'st', '--userstore', 'starttls');
    await daemon.ok('gateway', 'set', 'gw1', '--module', 'http', '--option', `URL=${gw.url}`, '--option', 'to={phone}', '--option', 'text={otp}');
    await daemon.ok('setting', 'set', 'smstext', 'Hi {givenname}, code {otp}');
    await daemon.ok('setting', 'set', 'sms.identifier', 'gw1');
    await daemon.ok('setting', 'set', 'otppin', 'userstore');
    for (const realm of ['tls', 'st']) {
      await daemon.ok('token', 'enroll', '--user', 'alice', '--realm', realm, '--phone', '+4917011111', '--pin', 'token-pin', '--otpkey', RFC4226_KEY);
    }
    await daemon.start();
    for (const name of ['alice', 'alice@st']) {
      const first = await login(daemon, name, 'alice-pw');
      expect(first.code, daemon.logs()).toBe('Access-Challenge');
      const [, otp] = /^Hi Alice, code (\d{6})$/.exec((await gw.next()).query.get('text') ?? '') ?? [];
      expect((await login(daemon, name, otp!, stateOf(first))).code, name).toBe('Access-Accept');
      expect((await login(daemon, name, 'wrong-pw')).attributes['Reply-Message'], name).toEqual(['wrong otp pin']);
    }
  });
});
