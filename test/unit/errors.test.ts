// Every error an operator can meet has a stable code under the one error base, one row of the
// one catalogue (ERRORS), is printed without a stack trace, and docs/errors.md's table of codes
// shows each row once, with the same HTTP status, privacyIDEA number and exit status.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ValueTooLongError } from '../../src/app/limits.js';
import { ApiKeyAdminError } from '../../src/app/api-keys.js';
import { AuditFilterError } from '../../src/app/audit.js';
import { GatewayAdminError } from '../../src/app/gateway-admin.js';
import { RadiusServerAdminError } from '../../src/app/radius-servers.js';
import { HttpAuthError, HttpForbiddenError, HttpRequestError, HttpUnknownUserError } from '../../src/http/errors.js';
import { WebForbiddenError } from '../../src/web/errors.js';
import { CsvFileError } from '../../src/app/csv-table.js';
import { TokenAdminError } from '../../src/app/token-admin.js';
import { HelpdeskTargetError, SmsNotResentError } from '../../src/app/helpdesk.js';
import { PhoneVerificationError, TooSoonError } from '../../src/app/phone-verification.js';
import { ForbiddenRealmError } from '../../src/app/realm-guard.js';
import { TokenImportError } from '../../src/app/token-import.js';
import { CheckFailedError } from '../../src/cli/check.js';
import { UsageError } from '../../src/cli/output.js';
import { ConfigError } from '../../src/config/load.js';
import { UserStoreAdminError } from '../../src/app/userstore-admin.js';
import { SearchFilterError } from '../../src/directory/ldap-users.js';
import { KeyFileError } from '../../src/crypto/keyfile.js';
import { DecryptionError } from '../../src/crypto/secretbox.js';
import { DirectoryUnavailable, UpstreamUnavailable, ERRORS, isExpectedError, NotFoundError, RefusedError, RequestShed, SmsOtpError, StoreUnavailable, type ErrorCode } from '../../src/core/errors.js';
import { GatewayError } from '../../src/gateways/provider.js';
import { NotificationError } from '../../src/notifications/definition.js';
import { SettingError } from '../../src/core/settings.js';
import { KeyMismatchError } from '../../src/store/key-check.js';
import { StoreVersionError } from '../../src/store/migrations/index.js';
import { GroupParameterError } from '../../src/directory/group-parameters.js';
import { MigrationUsageError } from '../../src/app/privacyidea-migration.js';
import { PiKeyFileError } from '../../src/migrate/privacyidea/enckey.js';
import { SourceDatabaseError } from '../../src/migrate/privacyidea/database.js';

const errorsPage = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

const errors: SmsOtpError[] = [
  new ConfigError('x'),
  new KeyFileError('x'),
  new KeyMismatchError('x'),
  new DecryptionError('x'),
  new SettingError('x'),
  new UsageError('x'),
  new TokenAdminError('x'),
  new GatewayError('gw', 'x', 'refused'),
  new StoreUnavailable('x'),
  new RequestShed('deadline'),
  new RefusedError('x'),
  new NotFoundError('x'),
  new StoreVersionError('x'),
  new ValueTooLongError('x'),
  new CheckFailedError('x'),
  new CsvFileError('x'),
  new TokenImportError('x'),
  new DirectoryUnavailable('x'),
  new UpstreamUnavailable('x'),
  new UserStoreAdminError('x'),
  new SearchFilterError('x'),
  new ApiKeyAdminError('x'),
  new GatewayAdminError('x'),
  new RadiusServerAdminError('x'),
  new AuditFilterError('x'),
  new HttpRequestError('x'),
  new HttpUnknownUserError('x', 'y'),
  new HttpAuthError('x'),
  new HttpForbiddenError('x'),
  new WebForbiddenError('x'),
  new NotificationError('x'),
  new HelpdeskTargetError('x'),
  new SmsNotResentError('x'),
  new GroupParameterError('x'),
  new MigrationUsageError('x'),
  new PiKeyFileError('x'),
  new SourceDatabaseError('x'),
  new ForbiddenRealmError('x'),
  new PhoneVerificationError('x'),
  new TooSoonError('x', 1),
];

/** docs/errors.md: code → [HTTP, privacyIDEA, exit] as the rows print them. */
function documentedRows(): Map<string, string[][]> {
  const rows = new Map<string, string[][]>();
  for (const line of errorsPage.split('\n')) {
    const cells = /^\| `(ERR_[A-Z_]+)` \|/.test(line) ? line.split('|').slice(1, -1).map((c) => c.trim()) : undefined;
    if (!cells || cells.length !== 5) continue;
    const code = cells[0]!.slice(1, -1);
    rows.set(code, [...(rows.get(code) ?? []), cells.slice(2)]);
  }
  return rows;
}

describe('error codes', () => {
  it.each(errors.map((e) => [e.name, e]))('%s has a catalogued code and prints as one line', (_name, err) => {
    expect(err).toBeInstanceOf(SmsOtpError);
    expect(Object.keys(ERRORS)).toContain(err.code);
    expect(isExpectedError(err)).toBe(true);
  });

  it('lists every subclass of the base in src/ here (so each is checked against the catalogue)', () => {
    const src = new URL('../../src/', import.meta.url);
    const declared = (readdirSync(src, { recursive: true }) as string[])
      .filter((file) => file.endsWith('.ts'))
      .flatMap((file) => [...readFileSync(new URL(file, src), 'utf8').matchAll(/class (\w+) extends SmsOtpError\b/g)].map((m) => m[1]));
    expect(declared.sort()).toEqual(errors.map((e) => e.constructor.name).sort());
  });

  it('has a class for every code a class can carry (the rest are answered by the HTTP front itself)', () => {
    const answeredByTheFront: ErrorCode[] = ['ERR_BODY_TOO_LARGE', 'ERR_INTERNAL'];
    const carried = new Set(errors.map((e) => e.code));
    expect((Object.keys(ERRORS) as ErrorCode[]).filter((code) => !carried.has(code))).toEqual(answeredByTheFront);
  });

  it.each(Object.entries(ERRORS))('%s is one row of the docs/errors.md table, with the catalogue\'s numbers', (code, spec) => {
    expect(code).toMatch(/^ERR_[A-Z_]+$/);
    expect(documentedRows().get(code)).toEqual([[String(spec.http), String(spec.pi), String(spec.exit)]]);
  });

  it('documents no code the catalogue does not have', () => {
    expect([...documentedRows().keys()].sort()).toEqual(Object.keys(ERRORS).sort());
  });

  it('takes only ERR_INTERNAL for unexpected', () => {
    expect(Object.entries(ERRORS).filter(([, spec]) => !spec.expected).map(([code]) => code)).toEqual(['ERR_INTERNAL']);
  });

  it('does not take a plain Error for an expected one', () => {
    expect(isExpectedError(new Error('boom'))).toBe(false);
  });
});
