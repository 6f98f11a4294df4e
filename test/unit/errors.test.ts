// Every error an operator can meet has a stable code under the one error base, is printed
// without a stack trace, and is documented in the README's table of codes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ValueTooLongError } from '../../src/app/limits.js';
import { ApiKeyAdminError } from '../../src/app/api-keys.js';
import { AuditFilterError } from '../../src/app/audit.js';
import { GatewayAdminError } from '../../src/app/gateway-admin.js';
import { HttpAuthError, HttpBodyTooLargeError, HttpForbiddenError, HttpRequestError, HttpUnknownUserError } from '../../src/http/errors.js';
import { CsvFileError } from '../../src/app/csv-table.js';
import { TokenAdminError } from '../../src/app/token-admin.js';
import { TokenImportError } from '../../src/app/token-import.js';
import { CheckFailedError } from '../../src/cli/check.js';
import { UsageError } from '../../src/cli/output.js';
import { ConfigError } from '../../src/config/load.js';
import { DirectoryUnavailable, RequestShed, StoreUnavailable } from '../../src/core/errors.js';
import { UserStoreAdminError } from '../../src/app/userstore-admin.js';
import { SearchFilterError } from '../../src/directory/ldap-users.js';
import { KeyFileError } from '../../src/crypto/keyfile.js';
import { DecryptionError } from '../../src/crypto/secretbox.js';
import { isExpectedError, NotFoundError, RefusedError, SmsOtpError } from '../../src/errors.js';
import { GatewayError } from '../../src/gateways/provider.js';
import { SettingError } from '../../src/settings/registry.js';
import { KeyMismatchError } from '../../src/store/key-check.js';
import { StoreVersionError } from '../../src/store/migrations/index.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

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
  new UserStoreAdminError('x'),
  new SearchFilterError('x'),
  new ApiKeyAdminError('x'),
  new GatewayAdminError('x'),
  new AuditFilterError('x'),
  new HttpRequestError('x'),
  new HttpBodyTooLargeError('x'),
  new HttpUnknownUserError('x', 'y'),
  new HttpAuthError('x'),
  new HttpForbiddenError('x'),
];

describe('error codes', () => {
  it.each(errors.map((e) => [e.name, e]))('%s has a stable, documented code and prints as one line', (_name, err) => {
    expect(err).toBeInstanceOf(SmsOtpError);
    expect(err.code).toMatch(/^ERR_[A-Z_]+$/);
    expect(isExpectedError(err)).toBe(true);
    expect(readme).toContain(`\`${err.code}\``);
  });

  it('does not take a plain Error for an expected one', () => {
    expect(isExpectedError(new Error('boom'))).toBe(false);
  });
});
