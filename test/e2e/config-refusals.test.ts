// What can never work is refused when it is configured, through the real CLI process, on
// SQLite and PostgreSQL alike: exit status 1 for a refusal or a missing name, 2 for a bad
// value, one line on stderr without a stack, and nothing changed in the store.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import knexFactory, { type Knex } from 'knex';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { createTestDatabase } from '../helpers/pg.js';
import { STORE_KINDS } from '../helpers/store.js';

describe.each(STORE_KINDS)('configuration refusals on %s', (kind) => {
  let daemon: TestDaemon;
  let dropDatabase: (() => Promise<void>) | undefined;

  let knex: Knex;
  let pgUrl = '';
  /**
   * Every row a configuration change could touch, read straight from the store (in-process,
   * so each refusal costs one CLI process, not four), to prove a refusal changed nothing.
   */
  const snapshot = async () => {
    const tables = ['tokens', 'sms_gateways', 'sms_gateway_options', 'smtp_servers', 'settings', 'store_meta'];
    const rows = await Promise.all(tables.map((t) => knex(t).select('*')));
    const sorted = rows.map((r) => r.map((row) => JSON.stringify(row)).sort());
    return JSON.stringify(sorted);
  };

  /** The store as last seen; refreshed after every change a test makes on purpose. */
  let known = '';
  const changed = async () => {
    known = await snapshot();
  };

  /** Runs a command that must be refused: its exit status, one line naming the problem, no change. */
  async function refused(status: 1 | 2, message: RegExp, ...args: string[]): Promise<void> {
    const before = known || (await snapshot());
    const r = await daemon.cli(...args);
    expect({ code: r.code, stdout: r.stdout }, r.stderr).toEqual({ code: status, stdout: '' });
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^sms-otp-radiusd: /);
    expect(lines[0]).toMatch(message);
    known = await snapshot();
    expect(known).toBe(before);
  }

  const tokenGateway = async (serial: string) => JSON.parse(await daemon.ok('token', 'show', serial)).gateway;

  beforeAll(async () => {
    if (kind === 'pg') {
      const db = await createTestDatabase();
      dropDatabase = db.drop;
      pgUrl = db.url;
      daemon = await createDaemon({ database: { client: 'pg', url: db.url } });
    } else {
      daemon = await createDaemon();
    }
    const scripts = path.join(daemon.dir, 'scripts');
    mkdirSync(scripts, { recursive: true });
    writeFileSync(path.join(scripts, 'sms.sh'), '#!/bin/sh\ncat >/dev/null\n');
    chmodSync(path.join(scripts, 'sms.sh'), 0o755);
    await daemon.ok('gateway', 'set', 'web', '--module', 'http', '--option', 'URL=http://127.0.0.1:9/send', '--option', 'to={phone}');
    await daemon.ok('gateway', 'set', 'sh', '--module', 'script', '--option', 'SCRIPT=sms.sh');
    await daemon.ok('setting', 'set', 'sms.identifier', 'web');
    await daemon.ok('token', 'enroll', '--user', 'alice', '--phone', '+49 170 1234567', '--pin', '1234', '--serial', 'ALICE', '--gateway', 'sh');
    await daemon.ok('token', 'enroll', '--user', 'bob', '--phone', '(030) 123-456.78', '--pin', '5678', '--serial', 'BOB');
    knex =
      kind === 'pg'
        ? knexFactory({ client: 'pg', connection: pgUrl, pool: { min: 0, max: 2 } })
        : knexFactory({ client: 'better-sqlite3', connection: { filename: path.join(daemon.dir, 'store.sqlite') }, useNullAsDefault: true });
    await changed();
  });
  afterAll(async () => {
    await knex?.destroy();
    await dropDatabase?.();
  });

  it('refuses a default gateway that does not exist', async () => {
    await refused(1, /no gateway 'nosuch' for setting sms\.identifier; define it first with 'gateway set nosuch --module \.\.\.'/,
      'setting', 'set', 'sms.identifier', 'nosuch');
    expect(await daemon.ok('setting', 'get', 'sms.identifier')).toBe('web');
  });

  it('refuses to delete a gateway tokens use, or the default, saying what to do', async () => {
    await refused(1, /gateway sh not deleted: 1 token uses it; first 'token set SERIAL --gateway OTHER' \(see 'token list'\), or add --force/,
      'gateway', 'delete', 'sh');
    await refused(1, /gateway web not deleted: it is the default gateway \(setting sms\.identifier\); first 'setting set sms\.identifier OTHER'.*--force/,
      'gateway', 'delete', 'web');
    await refused(1, /no gateway 'nosuch'$/, 'gateway', 'delete', 'nosuch');
  }, 60_000);

  it('with --force deletes anyway: the tokens fall back to the default, the default is unset', async () => {
    expect(await daemon.ok('gateway', 'delete', 'sh', '--force')).toBe('gateway sh deleted\n1 token(s) of gateway sh now use the default gateway');
    expect(await tokenGateway('ALICE')).toBeNull();
    expect(await daemon.ok('gateway', 'delete', 'web', '--force')).toMatch(/^gateway web deleted\nsetting sms\.identifier unset/);
    expect(await daemon.ok('setting', 'get', 'sms.identifier')).toBe('');
    expect(await daemon.ok('gateway', 'list')).toBe('ID  MODULE  DEFAULT  UPDATED  HEALTH  DESCRIPTION');
    // An unused gateway goes without --force.
    await daemon.ok('gateway', 'set', 'spare', '--module', 'http', '--option', 'URL=http://127.0.0.1:9/');
    await daemon.ok('gateway', 'delete', 'spare');
    await changed();
  });

  it('refuses phone numbers no gateway can dial, and empty PINs', async () => {
    const enroll = (phone: string, pin = '1234') => ['token', 'enroll', '--user', 'carol', '--phone', phone, '--pin', pin];
    for (const phone of ['', '   ', 'alice', '+49 170 CALLME', '12', '+1234567890123456789012', '++49170', '49+170', '0'.repeat(41)]) {
      await refused(2, /--phone must be a phone number: an optional leading \+, then 3 to 20 digits/, ...enroll(phone));
    }
    await refused(2, /--pin must not be empty: the PIN is the first factor/, ...enroll('+4917012', ''));
    await refused(2, /--pin is at most 120 bytes/, ...enroll('+4917012', 'p'.repeat(121)));
    await refused(2, /--phone must be a phone number/, 'token', 'set', 'BOB', '--phone', '0170-HELLO');
    await refused(2, /--pin must not be empty/, 'token', 'set', 'BOB', '--pin', '');
    await refused(1, /no token with serial NOSUCH/, 'token', 'set', 'NOSUCH', '--phone', '+4917012');
    // Separators are kept as typed (a gateway's REGEXP rewrites them); outer blanks are not.
    await daemon.ok('token', 'set', 'BOB', '--phone', ' +1 (555) 010-9999 ');
    expect(JSON.parse(await daemon.ok('token', 'show', 'BOB')).phone).toBe('+1 (555) 010-9999');
    await changed();
  }, 120_000);

  it('refuses values longer than their store column, naming the limit', async () => {
    const enroll = ['token', 'enroll', '--phone', '+4917012', '--pin', '1234'];
    await refused(2, /--user is 256 characters long; at most 255 are allowed/, ...enroll, '--user', 'u'.repeat(256));
    await refused(2, /--realm is 256 characters long; at most 255/, ...enroll, '--user', 'dave', '--realm', 'r'.repeat(256));
    await refused(2, /--serial is 41 characters long; at most 40/, ...enroll, '--user', 'dave', '--serial', 'S'.repeat(41));
    await refused(2, /--gateway is 65 characters long; at most 64/, ...enroll, '--user', 'dave', '--gateway', 'g'.repeat(65));
    await refused(2, /--gateway is 65 characters long; at most 64/, 'token', 'set', 'BOB', '--gateway', 'g'.repeat(65));
    // Multi-byte characters count as one, as PostgreSQL counts them: 255 of them fit.
    await daemon.ok(...enroll, '--user', 'ü'.repeat(255), '--serial', 'UMLAUT');
    await changed();
    const http = ['--module', 'http', '--option', 'URL=http://127.0.0.1:9/'];
    await refused(2, /the gateway id is 65 characters long; at most 64/, 'gateway', 'set', 'g'.repeat(65), ...http);
    await refused(2, /--description is 1001 characters long; at most 1000/, 'gateway', 'set', 'gw', ...http, '--description', 'd'.repeat(1001));
    await refused(2, /an --option name is 256 characters long; at most 255/, 'gateway', 'set', 'gw', ...http, '--option', `${'k'.repeat(256)}=v`);
    await refused(2, /the SMTP server id is 65 characters long; at most 64/, 'smtpserver', 'set', 's'.repeat(65), '--server', 'mail.example.com');
    await refused(2, /--server is 256 characters long; at most 255/, 'smtpserver', 'set', 'relay', '--server', 'm'.repeat(256));
  }, 120_000);

  it('refuses gateway definitions that could never send, naming the option and the limit', async () => {
    const url = '--option=URL=http://127.0.0.1:9/';
    await refused(1, /gateway sh2: unknown option TYPO; script takes SCRIPT, BACKGROUND, TIMEOUT, REGEXP/,
      'gateway', 'set', 'sh2', '--module', 'script', '--option', 'SCRIPT=sms.sh', '--option', 'TYPO=1');
    await refused(1, /gateway w: header name 'Bad Name' is not an HTTP token \(RFC 9110/,
      'gateway', 'set', 'w', '--module', 'http', url, '--header', 'Bad Name=1');
    await refused(1, /gateway w: header X-Key: the value holds a character HTTP forbids in a header \(a control character such as CR, LF or NUL/,
      'gateway', 'set', 'w', '--module', 'http', url, '--header', 'X-Key=abc\r\nInjected: 1');
    await refused(1, /gateway w: option URL must be an http:\/\/ or https:\/\/ URL/, 'gateway', 'set', 'w', '--module', 'http', '--option', 'URL=ftp://example.com/');
    await refused(1, /gateway w: option HTTPS_PROXY must be an http:\/\/ or https:\/\/ URL/, 'gateway', 'set', 'w', '--module', 'http', url, '--option', 'HTTPS_PROXY=proxy:3128');
    await refused(1, /gateway w: option TIMEOUT must be a number of seconds, more than 0 and at most 3600, not '0'/, 'gateway', 'set', 'w', '--module', 'http', url, '--option', 'TIMEOUT=0');
    await refused(1, /gateway w: option HTTP_METHOD must be one of GET, POST, not 'PUT'/, 'gateway', 'set', 'w', '--module', 'http', url, '--option', 'HTTP_METHOD=PUT');
    const smpp = ['gateway', 'set', 'smsc', '--module', 'smpp', '--option', 'SMSC_HOST=127.0.0.1', '--option', 'SMSC_PORT=2775'];
    await refused(1, /gateway smsc: option SYSTEM_ID is at most 15 characters \(SMPP 3\.4 system_id\), not 16/, ...smpp, '--option', `SYSTEM_ID=${'s'.repeat(16)}`);
    await refused(1, /gateway smsc: option PASSWORD is at most 8 characters \(SMPP 3\.4 password\), not 9/, ...smpp, '--option', 'PASSWORD=123456789');
    await refused(1, /gateway smsc: option S_ADDR_TON must be a whole number from 0 to 255 \(decimal or 0x hex\), not '0x100'/, ...smpp, '--option', 'S_ADDR_TON=0x100');
    await refused(1, /gateway smsc: option SMSC_PORT must be a whole number from 1 to 65535, not '0'/, 'gateway', 'set', 'smsc', '--module', 'smpp', '--option', 'SMSC_HOST=h', '--option', 'SMSC_PORT=0');
    await refused(1, /gateway smsc: the smpp module sends no HTTP headers; remove --header X-A/, ...smpp, '--header', 'X-A=1');
    // What stays allowed: http's own request parameters, headers that are tokens with printable values.
    await daemon.ok('gateway', 'set', 'w', '--module', 'http', url, '--option', 'api-key=k', '--header', "X-Trace_Id.v2!=Bearer a b\tc");
    // Stored; shown censored, as every header value is since issue 18.
    expect(JSON.parse(await daemon.ok('gateway', 'show', 'w')).headers).toEqual({ 'X-Trace_Id.v2!': '__CENSORED__' });
  }, 120_000);
});
