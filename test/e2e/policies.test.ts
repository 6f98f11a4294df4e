// Policies end to end: the real daemon, radclient from three NAS addresses, a real slapd for
// the realm `corp`. Local contractors log in with their token PIN while corp users log in
// with their directory password (otppin=userstore for realm corp only), with corp's own SMS
// text and gateway and passOnNoToken; Class for one NAS, a VLAN (RFC 2868 tagged attributes)
// on another; a deny on a third that rejects only after the OTP; conflicts refused at
// `policy set`; `policy explain`; and /policy/ over HTTP.
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, freeTcpPort, type TestDaemon } from '../helpers/daemon.js';
import { radclient } from '../helpers/radius-clients.js';
import { docsExample } from '../helpers/docs-blocks.js';
import { sampleMismatch } from '../helpers/output-sample.js';
import { BASE_DN, GROUPS_DN, personDn, SERVICE_DN, SERVICE_PASSWORD, startSlapd, type Slapd } from '../helpers/slapd.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';

const NAS = { asa: '127.0.0.1', wlc: '127.0.0.2', lab: '127.0.0.3' } as const;
const SECRET = 'testing123';

describe('policies: a mixed site over RADIUS', () => {
  let slapd: Slapd;
  let gwSite: SmsGateway;
  let gwCorp: SmsGateway;
  let daemon: TestDaemon;
  let http: string;
  let adminKey: string;

  const login = (from: keyof typeof NAS, user: string, password: string, state?: string) =>
    radclient(daemon, {
      'User-Name': JSON.stringify(user),
      'User-Password': JSON.stringify(password),
      'Packet-Src-IP-Address': NAS[from],
      ...(state ? { State: state } : {}),
    });
  const stateOf = (reply: { attributes: Record<string, string[]> }) => reply.attributes.State?.[0] ?? '';
  /** First factor, the SMS from `gw`, then its OTP: the second reply, and the SMS text. */
  const fullLogin = async (from: keyof typeof NAS, user: string, password: string, gw: SmsGateway) => {
    const first = await login(from, user, password);
    expect(first.code, daemon.logs()).toBe('Access-Challenge');
    const text = (await gw.next()).query.get('text') ?? '';
    const otp = /(\d{6})$/.exec(text)?.[1] ?? '';
    return { second: await login(from, user, otp, stateOf(first)), text };
  };

  beforeAll(async () => {
    slapd = await startSlapd([
      { uid: 'carol', password: 'carol-pw', sn: 'Corp', mobile: '+4917022222' },
      { uid: 'dave', password: 'dave-pw', sn: 'Notoken' },
    ], {
      // carol's groups, as docs/policies.md's `policy explain` shows them.
      groups: [
        { cn: 'vpn-admins', members: [personDn('carol')] },
        { cn: 'staff', members: [personDn('carol')] },
      ],
    });
    [gwSite, gwCorp] = await Promise.all([startSmsGateway(), startSmsGateway()]);
    const port = await freeTcpPort();
    http = `http://127.0.0.1:${port}`;
    daemon = await createDaemon({
      radius: { reject_delay: '0' },
      clients: [
        { name: 'asa', address: `${NAS.asa}/32`, secret: SECRET },
        { name: 'wlc', address: `${NAS.wlc}/32`, secret: SECRET },
        { name: 'lab', address: `${NAS.lab}/32`, secret: SECRET },
      ],
      http: { listen: `[ { host: "127.0.0.1", port: ${port} } ]` },
    });
    const pw = path.join(daemon.dir, 'bind.pw');
    writeFileSync(pw, `${SERVICE_PASSWORD}\n`);
    await daemon.ok('userstore', 'set', 'corp', '--uri', slapd.uri, '--base-dn', BASE_DN, '--bind-dn', SERVICE_DN, '--bind-password-file', pw, '--preset', 'openldap', '--timeout', '2',
      '--group-base', GROUPS_DN);
    await daemon.ok('realm', 'set', 'corp', '--userstore', 'corp');
    for (const [id, gw] of [['gw-site', gwSite], ['gw-corp', gwCorp]] as const) {
      await daemon.ok('gateway', 'set', id, '--module', 'http', '--option', `URL=${gw.url}`, '--option', 'to={phone}', '--option', 'text={otp}');
    }
    await daemon.ok('setting', 'set', 'sms.identifier', 'gw-site');
    await daemon.ok('setting', 'set', 'smstext', 'Site code {otp}');
    await daemon.ok('setting', 'set', 'sms.resend_interval', '0');
    await daemon.ok('setting', 'set', 'sms.limit.user', '');
    await daemon.ok('setting', 'set', 'sms.limit.phone', '');
    await daemon.ok('token', 'enroll', '--user', 'ken', '--phone', '+4917011111', '--pin', 'ken-pin');
    await daemon.ok('token', 'enroll', '--user', 'carol', '--realm', 'corp', '--phone', '+4917022222', '--pin', 'carol-token-pin');
    await daemon.ok('policy', 'set', 'corp-login', '--scope', 'authentication', '--realm', 'corp', '--action', 'otppin=userstore',
      '--action', 'smstext=Corp code {otp}', '--action', 'smsgateway=gw-corp', '--action', 'passOnNoToken=true');
    await daemon.ok('policy', 'set', 'asa-admins', '--scope', 'authorization', '--client', 'asa', '--action', 'reply_attribute=Class=vpn-admins',
      '--action', 'reply_attribute=Cisco-AVPair=shell:priv-lvl=15');
    await daemon.ok('policy', 'set', 'wifi-vlan', '--scope', 'authorization', '--client', `${NAS.wlc}/32`, '--action', 'reply_attribute=Tunnel-Type:1=VLAN',
      '--action', 'reply_attribute=Tunnel-Medium-Type:1=IEEE-802', '--action', 'reply_attribute=Tunnel-Private-Group-Id:1=20');
    await daemon.ok('policy', 'set', 'lab-contractors', '--scope', 'authorization', '--client', 'lab', '--user', 'ken', '--action', 'deny=No lab access for contractors');
    await daemon.start();
    adminKey = await daemon.ok('apikey', 'create', '--role', 'admin');
    // About twenty CLI commands, each a process: under load they take their time.
  }, 180_000);
  afterAll(async () => {
    await daemon?.stop();
    await gwSite?.close();
    await gwCorp?.close();
    await slapd?.stop();
  });

  it('a local contractor with a PIN and a corp user with the directory password log in side by side, each with their SMS text and gateway', async () => {
    const ken = await fullLogin('asa', 'ken', 'ken-pin', gwSite);
    expect(ken.text).toMatch(/^Site code \d{6}$/);
    expect(ken.second.code).toBe('Access-Accept');
    const carol = await fullLogin('asa', 'carol@corp', 'carol-pw', gwCorp);
    expect(carol.text).toMatch(/^Corp code \d{6}$/);
    expect(carol.second.code).toBe('Access-Accept');
    // The token PIN is not corp's first factor; the directory password is not ken's.
    expect((await login('asa', 'carol@corp', 'carol-token-pin')).code).toBe('Access-Reject');
    expect((await login('asa', 'ken', 'carol-pw')).code).toBe('Access-Reject');
  });

  it('passOnNoToken for realm corp only', async () => {
    expect((await login('asa', 'dave@corp', 'anything')).code).toBe('Access-Accept');
    expect((await login('asa', 'zed', 'anything')).code).toBe('Access-Reject');
    // Said in the log at start, as the site setting would be.
    expect(daemon.logs()).toContain('policy corp-login sets passOnNoToken=true for the logins it matches');
    const rows = JSON.parse(await daemon.ok('audit', 'list', '--json')) as Array<{ user: string; reason: string }>;
    expect(rows.find((r) => r.user === 'dave')?.reason).toBe("user has no token, accepted due to 'passOnNoToken' [policies: corp-login, asa-admins]");
  });

  it('Class and a Cisco AV-pair on the ASA, a tagged VLAN on the Wi-Fi controller', async () => {
    const asa = (await fullLogin('asa', 'ken', 'ken-pin', gwSite)).second;
    expect(asa.code).toBe('Access-Accept');
    expect(asa.attributes.Class).toEqual(['0x76706e2d61646d696e73']);
    expect(asa.attributes['Cisco-AVPair']).toEqual(['shell:priv-lvl=15']);
    expect(asa.attributes['Tunnel-Type:1']).toBeUndefined();
    const wlc = (await fullLogin('wlc', 'ken', 'ken-pin', gwSite)).second;
    expect(wlc.code).toBe('Access-Accept');
    expect(wlc.attributes['Tunnel-Type:1']).toEqual(['VLAN']);
    expect(wlc.attributes['Tunnel-Medium-Type:1']).toEqual(['IEEE-802']);
    expect(wlc.attributes['Tunnel-Private-Group-Id:1']).toEqual(['20']);
    expect(wlc.attributes.Class).toBeUndefined();
  });

  it('deny on the lab NAS: the challenge comes as usual, the reject only after the right OTP, and the OTP is used up', async () => {
    const first = await login('lab', 'ken', 'ken-pin');
    expect(first.code).toBe('Access-Challenge');
    const otp = /(\d{6})$/.exec((await gwSite.next()).query.get('text') ?? '')?.[1] ?? '';
    const denied = await login('lab', 'ken', otp, stateOf(first));
    expect(denied.code).toBe('Access-Reject');
    expect(denied.attributes['Reply-Message']).toEqual(['No lab access for contractors']);
    expect((await login('lab', 'ken', otp, stateOf(first))).attributes['Reply-Message']).not.toEqual(['No lab access for contractors']);
    const rows = JSON.parse(await daemon.ok('audit', 'list', '--json')) as Array<{ user: string; reason: string; client: string }>;
    expect(rows.find((r) => r.client === 'lab' && /denied/.test(r.reason))?.reason).toMatch(/then denied by policy lab-contractors \[policies: lab-contractors\]/);
    // A wrong OTP on the lab NAS is a plain wrong OTP: the deny tells nothing before the OTP.
    const again = await login('lab', 'ken', 'ken-pin');
    await gwSite.next();
    expect((await login('lab', 'ken', '000000', stateOf(again))).attributes['Reply-Message']).not.toEqual(['No lab access for contractors']);
  });

  it('a conflicting policy is refused at policy set, naming both policies and the action', async () => {
    // The refusal docs/policies.md shows: its command, run as written, prints its message.
    const [command, message] = docsExample('policy-conflict').split('\n').filter(Boolean);
    const refused = await daemon.cli(...command!.replace(/^\$ sms-otp-radiusd /, '').split(' '));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/policy corp-none conflicts with policy corp-login: .*otppin to 'none' and 'userstore'/);
    expect(refused.stderr.trim()).toBe(message);
    // At another priority, or for another realm, it is taken.
    await daemon.ok('policy', 'set', 'corp-none', '--scope', 'authentication', '--realm', 'other', '--action', 'otppin=none');
    await daemon.ok('policy', 'delete', 'corp-none');
    // A client name this node does not know is saved, with a warning (a typo would never match).
    const typo = await daemon.cli('policy', 'set', 'typo', '--scope', 'authorization', '--client', 'assa', '--action', 'deny=x');
    expect(typo.code).toBe(0);
    expect(typo.stderr).toContain("warning: policy typo: no RADIUS client 'assa' in this node's configuration (radius.clients names: asa, wlc, lab, http)");
    await daemon.ok('policy', 'delete', 'typo');
    // Nor can the gateway a policy names go away under it.
    const gatewayInUse = await daemon.cli('gateway', 'delete', 'gw-corp');
    expect(gatewayInUse.code).toBe(1);
    expect(gatewayInUse.stderr).toMatch(/gateway 'gw-corp' is the smsgateway of policy corp-login/);
  });

  it('policy explain names the winner of each action, or the site setting', async () => {
    const text = await daemon.ok('policy', 'explain', '--user', 'carol', '--realm', 'corp', '--client', 'asa');
    // docs/policies.md shows this command and what it prints.
    const [command, ...sample] = docsExample('policy-explain').split('\n');
    expect(command).toBe('$ sms-otp-radiusd policy explain --user carol --realm corp --client asa');
    expect(sampleMismatch(text, sample)).toBeUndefined();
    expect(text).toMatch(/^authentication\s+otppin\s+userstore\s+corp-login$/m);
    expect(text).toMatch(/^authentication\s+smsautosend\s+false\s+site setting$/m);
    expect(text).toMatch(/^authorization\s+reply_attribute\s+Class=vpn-admins\s+asa-admins$/m);
    const json = JSON.parse(await daemon.ok('policy', 'explain', '--user', 'ken', '--client', 'lab', '--json')) as { found: boolean; authorization: Array<{ action: string; value: string; from: string }> };
    expect(json.found).toBe(true);
    expect(json.authorization[0]).toEqual({ action: 'deny', value: 'No lab access for contractors', from: 'lab-contractors' });
  });

  it('/policy/ over HTTP: POST (privacyIDEA action string), GET, DELETE; the change reaches logins', async () => {
    const call = async (method: string, route: string, body?: unknown) => {
      const res = await fetch(`${http}${route}`, {
        method,
        headers: { Authorization: adminKey, ...(body ? { 'Content-Type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, json: (await res.json()) as { result: { status: boolean; value: unknown } } };
    };
    expect((await call('GET', '/policy/')).status).toBe(200);
    const unauthenticated = await fetch(`${http}/policy/`);
    expect(unauthenticated.status).toBe(401);
    const set = await call('POST', '/policy/wifi-session', { scope: 'authorization', action: 'reply_attribute=Session-Timeout=3600', client: `${NAS.wlc}/32`, priority: '3' });
    expect(set.status, JSON.stringify(set.json)).toBe(200);
    expect(set.json.result.value).toEqual({ 'setPolicy wifi-session': 'insert' });
    const bad = await call('POST', '/policy/bad', { scope: 'authorization', action: { reply_attribute: 'Nope=1' } });
    expect(bad.status).toBe(400);
    const listed = (await call('GET', '/policy/')).json.result.value as Array<{ name: string; action: Record<string, unknown>; priority: number }>;
    expect(listed.find((p) => p.name === 'wifi-session')).toMatchObject({ action: { reply_attribute: ['Session-Timeout=3600'] }, priority: 3 });
    await new Promise((r) => setTimeout(r, 1200));
    const wlc = (await fullLogin('wlc', 'ken', 'ken-pin', gwSite)).second;
    expect(wlc.attributes['Session-Timeout']).toEqual(['3600']);
    expect((await call('DELETE', '/policy/wifi-session')).status).toBe(200);
    expect((await call('DELETE', '/policy/wifi-session')).status).toBe(404);

    // The admin scope (web UI roles): several realms in the action string, separated by spaces; a bare key is true.
    const helpdesk = await call('POST', '/policy/web-helpdesk', { scope: 'admin', action: 'role=helpdesk, adminrealm=Sales.example corp, selfservice_enroll', group: 'support' });
    expect(helpdesk.status, JSON.stringify(helpdesk.json)).toBe(200);
    const shown = (await call('GET', '/policy/web-helpdesk')).json.result.value as Array<Record<string, unknown>>;
    expect(shown[0]).toMatchObject({ scope: 'admin', action: { role: 'helpdesk', adminrealm: 'corp,sales.example', selfservice_enroll: 'true' }, group: ['support'] });
    expect((await call('POST', '/policy/web-root', { scope: 'admin', action: 'role=root' })).status).toBe(400);
    expect((await call('DELETE', '/policy/web-helpdesk')).status).toBe(200);
  });

  it("/validate/check puts the reply attributes into detail.radius, where privacyIDEA's FreeRADIUS plugin maps them", async () => {
    const post = async (route: string, body: Record<string, unknown>) =>
      (await (await fetch(`${http}${route}`, { method: 'POST', headers: { Authorization: adminKey, 'Content-Type': 'application/json' }, body: JSON.stringify(body) })).json()) as {
        result: { value: unknown };
        detail: Record<string, unknown>;
      };
    await post('/policy/http-class', { scope: 'authorization', action: { reply_attribute: ['Class=web-{user}', 'Tunnel-Private-Group-Id:1=30', 'Class=second'] }, client: 'http' });
    await new Promise((r) => setTimeout(r, 1200));
    const first = await post('/validate/check', { user: 'ken', pass: 'ken-pin' });
    const otp = /(\d{6})$/.exec((await gwSite.next()).query.get('text') ?? '')?.[1] ?? '';
    const accepted = await post('/validate/check', { user: 'ken', pass: otp, transaction_id: first.detail.transaction_id });
    expect(accepted.result.value).toBe(true);
    expect(accepted.detail.radius).toEqual({
      Class: 'web-ken',
      'Tunnel-Private-Group-Id:1': '30',
      attributes: ['Class=web-ken', 'Tunnel-Private-Group-Id:1=30', 'Class=second'],
    });
  });
});
