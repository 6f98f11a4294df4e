import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, resolveConfigPath } from '../../src/config/load.js';
import { ROOT, tempDir } from '../helpers/fs.js';

function configWith(text: string): string {
  const file = path.join(tempDir(), 'c.yaml');
  writeFileSync(file, text);
  return file;
}

const VALID = `
database: { client: sqlite, filename: ./data/x.sqlite }
secrets: { keyfile: ./data/encryption.key }
radius:
  listen: [ { host: 127.0.0.1, port: 1812 } ]
  clients: [ { name: nas1, address: 10.0.0.0/8, secret: s3cr3t-value } ]
`;

function errorOf(text: string): string {
  try {
    loadConfig(configWith(text));
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('configuration was accepted');
}

describe('configuration', () => {
  it('accepts the shipped example as is', () => {
    const config = loadConfig(path.join(ROOT, 'config/sms-otp-radiusd.yaml'));
    expect(config.database.client).toBe('sqlite');
    expect(config.radius.listen[0]).toEqual({ host: '127.0.0.1', port: 1812 });
    expect(config.radius.accounting_listen).toEqual([{ host: '127.0.0.1', port: 1813 }]);
    expect(config.http?.listen).toEqual([{ host: '127.0.0.1', port: 5080 }]);
  });

  it('has no HTTP front without an http section, and names a broken http key with the fix', () => {
    expect(loadConfig(configWith(VALID)).http).toBeUndefined();
    const withHttp = (http: string) => `${VALID}http:\n${http}`;
    const config = loadConfig(configWith(withHttp('  listen: [ { host: 127.0.0.1, port: 5080 } ]\n  tls: { cert: c.pem, key: k.pem }\n  trusted_proxies: [ 10.1.0.0/16 ]\n')));
    expect(config.http?.tls?.cert).toMatch(/^\/.*\/c\.pem$/); // relative to the config file
    expect(config.http?.trusted_proxies).toEqual(['10.1.0.0/16']);
    expect(errorOf(withHttp('  listen: [ { host: localhost, port: 5080 } ]\n'))).toContain('http.listen.0.host: expected an IPv4 or IPv6 address');
    expect(errorOf(withHttp('  listen: []\n'))).toContain('http.listen: list at least one { host, port }, or remove the http section');
    expect(errorOf(withHttp('  listen: [ { host: 127.0.0.1, port: 5080 } ]\n  trusted_proxies: [ 10.0.0.0/33 ]\n'))).toContain('http.trusted_proxies.0');
    expect(errorOf(withHttp('  listen: [ { host: 127.0.0.1, port: 5080 } ]\n  tls: { cert: c.pem }\n'))).toMatch(/http\.tls\.key: missing/);
    expect(errorOf(withHttp('  lisen: []\n'))).toContain('http.lisen: unknown key');
  });

  it('reserves the client name http for the HTTP front', () => {
    expect(errorOf(VALID.replace('name: nas1', 'name: HTTP'))).toContain("radius.clients.0.name: 'HTTP' is the name of the HTTP front");
  });

  it('accepts a minimal valid file and fills defaults', () => {
    const config = loadConfig(configWith(VALID));
    expect(config.radius.clients[0]?.name).toBe('nas1');
    expect(config.log.level).toBe('info');
    expect(config.metrics, 'the metrics listener is off when the key is absent').toBeUndefined();
  });

  it('ships the metrics listener on 127.0.0.1:9812 and reads metrics.listen', () => {
    expect(loadConfig(path.join(ROOT, 'config/sms-otp-radiusd.yaml')).metrics).toEqual({ listen: [{ host: '127.0.0.1', port: 9812 }] });
    const config = loadConfig(configWith(`${VALID}metrics: { listen: [ { host: "::1", port: 9812 }, { host: 10.1.2.3, port: 9100 } ] }\n`));
    expect(config.metrics?.listen).toEqual([{ host: '::1', port: 9812 }, { host: '10.1.2.3', port: 9100 }]);
  });

  it('names a broken metrics key and the fix', () => {
    expect(errorOf(`${VALID}metrics: { listen: [ { host: 127.0.0.1, port: 9812 } ], path: /m }\n`)).toContain(
      'metrics.path: unknown key; remove it or check its spelling',
    );
    const misspelt = errorOf(`${VALID}metrics: { listn: [] }\n`);
    expect(misspelt).toContain('metrics.listn: unknown key; remove it or check its spelling');
    expect(misspelt).toContain('metrics.listen: missing; add it, e.g. listen: [ { host: 127.0.0.1, port: 9812 } ]');
    expect(errorOf(`${VALID}metrics: { listen: [] }\n`)).toContain(
      'metrics.listen: give at least one { host, port }, or remove the metrics section to turn the listener off',
    );
    expect(errorOf(`${VALID}metrics: { listen: 9812 }\n`)).toContain('metrics.listen: expected a list of addresses, e.g. listen: [ { host: 127.0.0.1, port: 9812 } ]');
    expect(errorOf(`${VALID}metrics: { listen: [ { host: localhost, port: 9812 } ] }\n`)).toContain('metrics.listen.0.host: expected an IPv4 or IPv6 address');
    expect(errorOf(`${VALID}metrics: { listen: [ { host: 127.0.0.1, port: 70000 } ] }\n`)).toContain('metrics.listen.0.port');
  });

  it('names an unknown key and says what to do', () => {
    const message = errorOf(VALID.replace('radius:', 'radius:\n  listne: []'));
    expect(message).toContain('radius.listne: unknown key; remove it or check its spelling');
  });

  it('names a missing key', () => {
    expect(errorOf(VALID.replace(/secrets:.*\n/, ''))).toMatch(/secrets: missing/);
  });

  it('names a bad value with its full path', () => {
    expect(errorOf(VALID.replace('port: 1812', 'port: 70000'))).toContain('radius.listen.0.port');
    expect(errorOf(VALID.replace('10.0.0.0/8', '10.0.0.0/40'))).toContain('radius.clients.0.address');
    expect(errorOf(VALID.replace('client: sqlite', 'client: mysql'))).toContain('database.client');
  });

  it('reports YAML syntax errors and unreadable files with the file name', () => {
    const file = configWith('database: [');
    expect(() => loadConfig(file)).toThrow(file);
    expect(() => loadConfig('/nonexistent/c.yaml')).toThrow(/ENOENT.*--config PATH or set SMS_OTP_RADIUSD_CONFIG/);
  });

  it('resolves --config before $SMS_OTP_RADIUSD_CONFIG before the default', () => {
    expect(resolveConfigPath('/a.yaml', { SMS_OTP_RADIUSD_CONFIG: '/b.yaml' })).toBe('/a.yaml');
    expect(resolveConfigPath(undefined, { SMS_OTP_RADIUSD_CONFIG: '/b.yaml' })).toBe('/b.yaml');
    // Run from a checkout: its demo, wherever the command is started.
    expect(resolveConfigPath(undefined, {})).toBe(path.join(ROOT, 'config/sms-otp-radiusd.yaml'));
    expect(resolveConfigPath(undefined, { SMS_OTP_RADIUSD_CONFIG: '' })).toBe(path.join(ROOT, 'config/sms-otp-radiusd.yaml'));
  });

  it('defaults to /etc when installed (no sources beside it), to the demo only in a source tree', () => {
    const installed = tempDir('smsotp-installed-'); // like /usr/lib/sms-otp-radiusd: dist, bin, config of npm pack
    mkdirSync(path.join(installed, 'config'));
    writeFileSync(path.join(installed, 'config/sms-otp-radiusd.yaml'), VALID);
    expect(resolveConfigPath(undefined, {}, installed)).toBe('/etc/sms-otp-radiusd/sms-otp-radiusd.yaml');
    expect(resolveConfigPath(undefined, { SMS_OTP_RADIUSD_CONFIG: '/b.yaml' }, installed)).toBe('/b.yaml');
    expect(resolveConfigPath(undefined, {}, ROOT)).toBe(path.join(ROOT, 'config/sms-otp-radiusd.yaml'));
  });

  it('resolves relative paths against the file\'s own directory, not the working directory', () => {
    const file = configWith(VALID.replace('radius:', 'providers: { script_directory: ./scripts }\nradius:\n  dictionaries: [ dict.extra ]'));
    const dir = path.dirname(file);
    const config = loadConfig(file);
    expect(config.database).toMatchObject({ filename: path.join(dir, 'data/x.sqlite') });
    expect(config.secrets.keyfile).toBe(path.join(dir, 'data/encryption.key'));
    expect(config.providers.script_directory).toBe(path.join(dir, 'scripts'));
    expect(config.radius.dictionaries).toEqual([path.join(dir, 'dict.extra')]);
  });

  it('reads a client secret and the PostgreSQL URL from a file or an environment variable', () => {
    const file = configWith(
      VALID.replace('client: sqlite, filename: ./data/x.sqlite', 'client: pg, url_file: pg-url').replace(
        'secret: s3cr3t-value }',
        'secret_file: nas1.secret }, { name: nas2, address: 10.1.0.0/16, secret_env: NAS2_SECRET }',
      ),
    );
    const dir = path.dirname(file);
    writeFileSync(path.join(dir, 'pg-url'), 'postgres://radiusd:pw@db.example.com/radiusd\n');
    writeFileSync(path.join(dir, 'nas1.secret'), 'from-a-file\n');
    const config = loadConfig(file, { NAS2_SECRET: 'from-the-environment' });
    expect(config.database).toEqual({ client: 'pg', url: 'postgres://radiusd:pw@db.example.com/radiusd' });
    expect(config.radius.clients.map((c) => c.secret)).toEqual(['from-a-file', 'from-the-environment']);
    expect(() => loadConfig(file, {})).toThrow(/radius\.clients\.1\.secret_env: the environment variable NAS2_SECRET is not set/);
  });

  it('wants exactly one way of giving a secret', () => {
    expect(errorOf(VALID.replace('secret: s3cr3t-value', 'secret: a, secret_env: B'))).toMatch(
      /radius\.clients\.0\.secret_env: give only one of secret, secret_file, secret_env/,
    );
    expect(errorOf(VALID.replace(', secret: s3cr3t-value', ''))).toMatch(/radius\.clients\.0\.secret: missing; add one of secret, secret_file, secret_env/);
    expect(errorOf(VALID.replace('secret: s3cr3t-value', 'secret_file: nowhere'))).toMatch(/radius\.clients\.0\.secret_file: cannot read .*nowhere: ENOENT/);
  });
});
