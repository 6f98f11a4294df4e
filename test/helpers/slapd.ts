// A real OpenLDAP slapd (Debian's package) in a temporary directory: slapd.conf style config,
// the core, cosine and inetorgperson schemas from /etc/ldap/schema, an mdb database loaded
// with slapadd, a free port on loopback. Started per test file; it starts in well under a second.
// With `tls` (a certificate, its key and the CA that issued it) it also speaks LDAPS on a second
// port and offers STARTTLS on the plain one. With `groups`, groupOfNames entries under
// ou=groups are added once it runs (ldapadd), so that the memberof overlay (`memberOf: true`)
// writes the members' memberOf as it would for any client; `stats` keeps slapd's log of every
// operation (loglevel stats: each SRCH with its base and filter) for the tests to read.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { DN } from 'ldapts';
import { freeTcpPort, type TestDaemon } from './daemon.js';
import { tempDir } from './fs.js';
import { LdapDirectory } from '../../src/directory/directory.js';
import { PRESET_VALUES } from '../../src/directory/presets.js';
import { RealmNameDirectory } from '../../src/directory/realm-names.js';

const execFileAsync = promisify(execFile);

export const BASE_DN = 'dc=example,dc=com';
export const PEOPLE_DN = `ou=people,${BASE_DN}`;
export const GROUPS_DN = `ou=groups,${BASE_DN}`;
export const SERVICE_DN = `cn=svc-otp,${BASE_DN}`;
export const SERVICE_PASSWORD = 'svc-secret-1';
const ADMIN_DN = `cn=admin,${BASE_DN}`;
const ADMIN_PASSWORD = 'admin-secret-1';

export interface LdapPerson {
  uid: string;
  password?: string;
  givenName?: string;
  sn: string;
  mobile?: string | string[];
  mail?: string;
  /** Active Directory's objectGUID (16 octets); needs the `objectGUID` option. */
  objectGUID?: Buffer;
}

/** A groupOfNames under ou=groups; its members by DN (people or other groups: personDn, groupDn). */
export interface LdapGroup {
  cn: string;
  members: string[];
}

export const personDn = (uid: string) => new DN({ uid }).toString() + `,${PEOPLE_DN}`;
export const groupDn = (cn: string) => new DN({ cn }).toString() + `,${GROUPS_DN}`;

/** A server certificate for slapd, PEM, and the file of the CA that issued it. */
export interface SlapdTls {
  readonly cert: string;
  readonly key: string;
  readonly caFile: string;
}

export interface Slapd {
  readonly uri: string;
  readonly port: number;
  /** The LDAPS port (on 127.0.0.1), when started with `tls`. */
  readonly tlsPort: number | undefined;
  readonly dir: string;
  /** Changes attributes of a person (ldapmodify as the directory's administrator); null removes one. */
  modify(uid: string, changes: Record<string, string | string[] | null>): Promise<void>;
  /** Adds a person to the running directory. */
  add(person: LdapPerson): Promise<void>;
  /** Adds a group to the running directory (the memberof overlay, when loaded, marks its members). */
  addGroup(group: LdapGroup): Promise<void>;
  /** What slapd logged so far (its operations, with `stats`). */
  output(): string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

function personLdif(p: LdapPerson): string {
  const mobiles = p.mobile === undefined ? [] : Array.isArray(p.mobile) ? p.mobile : [p.mobile];
  return [
    `dn: uid=${p.uid},${PEOPLE_DN}`,
    'objectClass: inetOrgPerson',
    ...(p.objectGUID ? ['objectClass: adObject', `objectGUID:: ${p.objectGUID.toString('base64')}`] : []),
    `uid: ${p.uid}`,
    `cn: ${p.givenName ?? ''} ${p.sn}`.trim(),
    `sn: ${p.sn}`,
    ...(p.givenName ? [`givenName: ${p.givenName}`] : []),
    ...mobiles.map((m) => `mobile: ${m}`),
    ...(p.mail ? [`mail: ${p.mail}`] : []),
    ...(p.password ? [`userPassword: ${p.password}`] : []),
    '',
  ].join('\n');
}

function groupLdif(g: LdapGroup): string {
  return [`dn: ${groupDn(g.cn)}`, 'objectClass: groupOfNames', `cn: ${g.cn}`, ...g.members.map((m) => `member: ${m}`), ''].join('\n');
}

export interface SlapdOptions {
  tls?: SlapdTls;
  groups?: LdapGroup[];
  /** Loads the memberof overlay: each member's memberOf lists its groups, as on Active Directory. */
  memberOf?: boolean;
  /** slapd logs every operation (loglevel stats), read with output(). */
  stats?: boolean;
  /**
   * Active Directory's objectGUID as AD's schema defines it (its OID, octet string, octet
   * equality), on an auxiliary class adObject: people may then carry one.
   */
  objectGUID?: boolean;
}

// AD's objectGUID attribute as AD defines it; the auxiliary class that allows it on a person
// sits in OpenLDAP's experimental OID arc (1.3.6.1.4.1.4203.666), as a test schema should.
const OBJECT_GUID_SCHEMA = [
  "attributetype ( 1.2.840.113556.1.4.2 NAME 'objectGUID' EQUALITY octetStringMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 SINGLE-VALUE )",
  "objectclass ( 1.3.6.1.4.1.4203.666.11.42.1 NAME 'adObject' AUXILIARY MAY objectGUID )",
  '',
].join('\n');

export async function startSlapd(people: LdapPerson[], options: SlapdOptions = {}): Promise<Slapd> {
  const dir = tempDir('smsotp-slapd-');
  const data = path.join(dir, 'data');
  mkdirSync(data);
  const conf = path.join(dir, 'slapd.conf');
  const tlsLines: string[] = [];
  if (options.tls) {
    writeFileSync(path.join(dir, 'server.pem'), options.tls.cert);
    writeFileSync(path.join(dir, 'server.key'), options.tls.key, { mode: 0o600 });
    tlsLines.push(
      `TLSCACertificateFile ${options.tls.caFile}`,
      `TLSCertificateFile ${path.join(dir, 'server.pem')}`,
      `TLSCertificateKeyFile ${path.join(dir, 'server.key')}`,
    );
  }
  const guidSchema = path.join(dir, 'ad-guid.schema');
  if (options.objectGUID) writeFileSync(guidSchema, OBJECT_GUID_SCHEMA);
  writeFileSync(
    conf,
    [
      'include /etc/ldap/schema/core.schema',
      'include /etc/ldap/schema/cosine.schema',
      'include /etc/ldap/schema/inetorgperson.schema',
      ...(options.objectGUID ? [`include ${guidSchema}`] : []),
      `pidfile ${path.join(dir, 'slapd.pid')}`,
      // An unauthenticated bind (a DN with an empty password) succeeds, as on Active Directory
      // and many older servers: the tests show that an empty password is never sent.
      'allow bind_anon_dn',
      ...tlsLines,
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      ...(options.memberOf ? ['moduleload memberof'] : []),
      'database mdb',
      `suffix "${BASE_DN}"`,
      `rootdn "${ADMIN_DN}"`,
      `rootpw ${ADMIN_PASSWORD}`,
      `directory ${data}`,
      'maxsize 10485760',
      ...(options.memberOf ? ['overlay memberof'] : []),
      // Passwords serve to bind only; everything else may be read by a bound account.
      'access to attrs=userPassword by anonymous auth by * none',
      'access to * by users read by * none',
      '',
    ].join('\n'),
  );
  const ldif = [
    `dn: ${BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n`,
    `dn: ${PEOPLE_DN}\nobjectClass: organizationalUnit\nou: people\n`,
    `dn: ${GROUPS_DN}\nobjectClass: organizationalUnit\nou: groups\n`,
    `dn: ${SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: svc-otp\nuserPassword: ${SERVICE_PASSWORD}\n`,
    ...people.map(personLdif),
  ].join('\n');
  const ldifFile = path.join(dir, 'fixtures.ldif');
  writeFileSync(ldifFile, ldif);
  await execFileAsync('slapadd', ['-q', '-f', conf, '-l', ldifFile]);

  const port = await freeTcpPort();
  const uri = `ldap://127.0.0.1:${port}`;
  const tlsPort = options.tls ? await freeTcpPort() : undefined;
  const listeners = [`${uri}/`, ...(tlsPort === undefined ? [] : [`ldaps://127.0.0.1:${tlsPort}/`])];
  let running: ChildProcess | undefined;
  let output = '';

  const start = async () => {
    // -d 0: stay in the foreground (no fork) without debug output; ready once the ports answer.
    const child = spawn('slapd', ['-d', options.stats ? 'stats' : '0', '-f', conf, '-h', listeners.join(' ')], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    running = child;
    const until = Date.now() + 10_000;
    while (!(await accepts(port)) || (tlsPort !== undefined && !(await accepts(tlsPort)))) {
      if (child.exitCode !== null || Date.now() > until) throw new Error(`slapd did not listen on ${uri}:\n${output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await start();
  const ldapadd = async (ldif: string) => {
    const child = execFileAsync('ldapadd', ['-x', '-H', uri, '-D', ADMIN_DN, '-w', ADMIN_PASSWORD]);
    child.child.stdin?.end(ldif);
    await child;
  };
  // Groups that contain groups come after them: add in the order given.
  for (const group of options.groups ?? []) await ldapadd(groupLdif(group));
  return {
    uri,
    port,
    tlsPort,
    dir,
    async modify(uid, changes) {
      const lines = [`dn: uid=${uid},${PEOPLE_DN}`, 'changetype: modify'];
      for (const [attribute, value] of Object.entries(changes)) {
        if (value === null) lines.push(`delete: ${attribute}`, '-');
        else lines.push(`replace: ${attribute}`, ...[value].flat().map((v) => `${attribute}: ${v}`), '-');
      }
      const child = execFileAsync('ldapmodify', ['-x', '-H', uri, '-D', ADMIN_DN, '-w', ADMIN_PASSWORD]);
      child.child.stdin?.end(`${lines.join('\n')}\n`);
      await child;
    },
    async add(person) {
      await ldapadd(personLdif(person));
    },
    async addGroup(group) {
      await ldapadd(groupLdif(group));
    },
    output: () => output,
    start,
    async stop() {
      const child = running;
      running = undefined;
      if (!child || child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * The site of the directory tests, through the daemon's CLI: user store `corp` (openldap
 * preset, the service account's password from a file, 2 s timeout) on `uris` in order, and
 * realm `example` as the default realm using it.
 */
export async function defineUserStore(daemon: TestDaemon, uris: string[]): Promise<void> {
  const pw = path.join(daemon.dir, 'bind.pw');
  writeFileSync(pw, `${SERVICE_PASSWORD}\n`);
  await daemon.ok('userstore', 'set', 'corp', ...uris.flatMap((uri) => ['--uri', uri]), '--base-dn', BASE_DN, '--bind-dn', SERVICE_DN,
    '--bind-password-file', pw, '--preset', 'openldap', '--timeout', '2');
  await daemon.ok('realm', 'set', 'example', '--userstore', 'corp', '--default');
}

/**
 * The login core's user directory over this slapd, for domain tests: one OpenLDAP user store
 * `corp` as the default realm `example`, attributes never cached.
 */
export function slapdDirectory(slapd: Slapd): LdapDirectory {
  const snapshot = {
    revision: '1',
    userstores: [
      {
        identifier: 'corp',
        preset: 'openldap' as const,
        uris: [slapd.uri],
        baseDn: BASE_DN,
        bindDn: SERVICE_DN,
        bindPassword: SERVICE_PASSWORD,
        attributes: PRESET_VALUES.openldap.attributes,
        searchFilter: PRESET_VALUES.openldap.searchFilter,
        starttls: false,
        caFile: null,
        timeout: 2,
        groups: { attribute: '', base: '', filter: PRESET_VALUES.openldap.groups.filter, nested: false },
      },
    ],
    realms: [{ name: 'example', userstore: 'corp', isDefault: true }],
  };
  return new LdapDirectory({ snapshot: () => snapshot, fallback: new RealmNameDirectory(), cacheMs: () => 0, now: () => Date.now() });
}
