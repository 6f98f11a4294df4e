import { writeFileSync } from 'node:fs';
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
  });

  it('accepts a minimal valid file and fills defaults', () => {
    const config = loadConfig(configWith(VALID));
    expect(config.radius.clients[0]?.name).toBe('nas1');
    expect(config.log.level).toBe('info');
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
    expect(resolveConfigPath(undefined, {})).toBe(path.resolve('config/sms-otp-radiusd.yaml'));
  });
});
