// Policies by directory group, end to end (issue 21): the real daemon, radclient from three
// NAS addresses, a real slapd whose groups the user store reads (a group search under
// ou=groups, and, in the second describe, AD's memberOf through slapd's memberof overlay).
// vpn-admins get Class=vpn-admins on the ASA and a VLAN on the Wi-Fi controller; the staff
// group is denied on the lab NAS, and only after the OTP; `policy explain` shows the groups.
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { radclient } from '../helpers/radius-clients.js';
import { BASE_DN, GROUPS_DN, SERVICE_DN, SERVICE_PASSWORD, personDn, startSlapd, type Slapd } from '../helpers/slapd.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';

const NAS = { asa: '127.0.0.1', wlc: '127.0.0.2', lab: '127.0.0.3' } as const;
const SECRET = 'testing123';

describe.each([
  { how: 'a group search (openldap preset, --group-base)', memberOf: false, flags: ['--preset', 'openldap', '--group-base', GROUPS_DN] },
  { how: "AD's memberOf (the memberof overlay, --group-attribute memberOf)", memberOf: true, flags: ['--preset', 'openldap', '--group-attribute', 'memberOf'] },
])('policies by directory group, groups read by $how', ({ memberOf, flags }) => {
  let slapd: Slapd;
  let gw: SmsGateway;
  let daemon: TestDaemon;

  const login = (from: keyof typeof NAS, user: string, password: string, state?: string) =>
    radclient(daemon, {
      'User-Name': JSON.stringify(user),
      'User-Password': JSON.stringify(password),
      'Packet-Src-IP-Address': NAS[from],
      ...(state ? { State: state } : {}),
    });
  /** Directory password, the SMS, then its OTP: the second reply. */
  const fullLogin = async (from: keyof typeof NAS, user: string, password: string) => {
    const first = await login(from, user, password);
    expect(first.code, daemon.logs()).toBe('Access-Challenge');
    const otp = /(\d{6})$/.exec((await gw.next()).query.get('text') ?? '')?.[1] ?? '';
    return login(from, user, otp, first.attributes.State?.[0] ?? '');
  };

  beforeAll(async () => {
    slapd = await startSlapd(
      [
        { uid: 'carol', password: 'carol-pw', sn: 'Admin', mobile: '+4917022222' },
        { uid: 'erin', password: 'erin-pw', sn: 'Staff', mobile: '+4917033333' },
      ],
      { groups: [{ cn: 'vpn-admins', members: [personDn('carol')] }, { cn: 'staff', members: [personDn('erin')] }], memberOf },
    );
    gw = await startSmsGateway();
    daemon = await createDaemon({
      radius: { reject_delay: '0' },
      clients: [
        { name: 'asa', address: `${NAS.asa}/32`, secret: SECRET },
        { name: 'wlc', address: `${NAS.wlc}/32`, secret: SECRET },
        { name: 'lab', address: `${NAS.lab}/32`, secret: SECRET },
      ],
    });
    const pw = path.join(daemon.dir, 'bind.pw');
    writeFileSync(pw, `${SERVICE_PASSWORD}\n`);
    await daemon.ok('userstore', 'set', 'corp', '--uri', slapd.uri, '--base-dn', BASE_DN, '--bind-dn', SERVICE_DN, '--bind-password-file', pw, '--timeout', '2', ...flags);
    await daemon.ok('realm', 'set', 'corp', '--userstore', 'corp', '--default');
    await daemon.ok('gateway', 'set', 'gw', '--module', 'http', '--option', `URL=${gw.url}`, '--option', 'to={phone}', '--option', 'text={otp}');
    await daemon.ok('setting', 'set', 'sms.identifier', 'gw');
    await daemon.ok('setting', 'set', 'sms.resend_interval', '0');
    await daemon.ok('setting', 'set', 'sms.limit.user', '');
    await daemon.ok('setting', 'set', 'sms.limit.phone', '');
    for (const user of ['carol', 'erin']) await daemon.ok('token', 'enroll', '--user', user, '--realm', 'corp', '--phone', user === 'carol' ? '+4917022222' : '+4917033333', '--pin', `${user}-token-pin`);
    await daemon.ok('policy', 'set', 'corp-directory', '--scope', 'authentication', '--realm', 'corp', '--action', 'otppin=userstore');
    await daemon.ok('policy', 'set', 'admins-asa', '--scope', 'authorization', '--group', 'vpn-admins', '--client', 'asa', '--action', 'reply_attribute=Class={group}');
    await daemon.ok('policy', 'set', 'admins-wifi', '--scope', 'authorization', '--group', 'vpn-admins', '--client', 'wlc',
      '--action', 'reply_attribute=Tunnel-Type:1=VLAN', '--action', 'reply_attribute=Tunnel-Medium-Type:1=IEEE-802', '--action', 'reply_attribute=Tunnel-Private-Group-Id:1=20');
    await daemon.ok('policy', 'set', 'staff-not-lab', '--scope', 'authorization', '--group', 'staff', '--client', 'lab', '--action', 'deny=No lab access for staff');
    await daemon.start();
  }, 180_000);
  afterAll(async () => {
    await daemon?.stop();
    await gw?.close();
    await slapd?.stop();
  });

  it('a vpn-admin gets Class=vpn-admins on the ASA and a tagged VLAN on the Wi-Fi controller; staff get neither', async () => {
    const asa = await fullLogin('asa', 'carol', 'carol-pw');
    expect(asa.code).toBe('Access-Accept');
    expect(asa.attributes.Class).toEqual([`0x${Buffer.from('vpn-admins').toString('hex')}`]);
    expect(asa.attributes['Tunnel-Type:1']).toBeUndefined();
    const wlc = await fullLogin('wlc', 'carol', 'carol-pw');
    expect(wlc.code).toBe('Access-Accept');
    expect(wlc.attributes['Tunnel-Type:1']).toEqual(['VLAN']);
    expect(wlc.attributes['Tunnel-Medium-Type:1']).toEqual(['IEEE-802']);
    expect(wlc.attributes['Tunnel-Private-Group-Id:1']).toEqual(['20']);
    expect(wlc.attributes.Class).toBeUndefined();
    const erin = await fullLogin('asa', 'erin', 'erin-pw');
    expect(erin.code).toBe('Access-Accept');
    expect(erin.attributes.Class).toBeUndefined();
  });

  it('staff are denied on the lab NAS only after a correct OTP; a wrong OTP is just a wrong OTP', async () => {
    const first = await login('lab', 'erin', 'erin-pw');
    expect(first.code).toBe('Access-Challenge');
    await gw.next();
    const wrong = await login('lab', 'erin', '000000', first.attributes.State?.[0] ?? '');
    expect(wrong.code).toBe('Access-Reject');
    expect(wrong.attributes['Reply-Message']).not.toContain('No lab access for staff');
    const denied = await fullLogin('lab', 'erin', 'erin-pw');
    expect(denied.code).toBe('Access-Reject');
    expect(denied.attributes['Reply-Message']).toEqual(['No lab access for staff']);
    expect((await fullLogin('lab', 'carol', 'carol-pw')).code).toBe('Access-Accept');
    const rows = JSON.parse(await daemon.ok('audit', 'list', '--json', '--user', 'erin')) as Array<{ action: string; reason: string }>;
    expect(rows.some((r) => r.action === 'reject' && r.reason.includes('then denied by policy staff-not-lab'))).toBe(true);
  });

  it('policy explain shows the groups read and the policies that win for them', async () => {
    const out = await daemon.ok('policy', 'explain', '--user', 'carol', '--realm', 'corp', '--client', 'asa');
    expect(out).toMatch(/vpn-admins/);
    expect(out).toMatch(/otppin\s+userstore\s+.*corp-directory/);
    expect(out).toMatch(/admins-asa/);
    expect(out).not.toMatch(/staff-not-lab/);
  });
});
