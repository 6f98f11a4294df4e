import { SmsOtpError } from '../core/errors.js';
import { describeFsError } from '../errors.js';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config, type ConfigFile, type DatabaseConfig, type RadiusClientConfig } from './schema.js';

/** Where the Debian package (docs/install.md) and a hand install keep the configuration. */
const SYSTEM_CONFIG_PATH = '/etc/sms-otp-radiusd/sms-otp-radiusd.yaml';

/** This installation's directory: the checkout, or /usr/lib/sms-otp-radiusd of the package. */
const INSTALL_DIR = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The configuration used without --config and $SMS_OTP_RADIUSD_CONFIG: the checkout's demo
 * (config/sms-otp-radiusd.yaml) when this runs from a source tree, else the system's in /etc.
 * A source tree is told by its sources: no package ships src/ (npm's "files", the .deb), and
 * a checkout always has them, with or without .git. Found from this module's own location,
 * so a command run from another directory reaches the same store as the daemon.
 */
function defaultConfigPath(installDir: string): string {
  return existsSync(path.join(installDir, 'src/cli/main.ts'))
    ? path.join(installDir, 'config/sms-otp-radiusd.yaml')
    : SYSTEM_CONFIG_PATH;
}

/** A configuration that cannot be used; the message names the file, the key and the fix. */
export class ConfigError extends SmsOtpError {
  override name = 'ConfigError';
  readonly code = 'ERR_CONFIG_INVALID';
}

/**
 * --config wins, then $SMS_OTP_RADIUSD_CONFIG (unless empty), then the default (/etc, or a
 * checkout's demo). `installDir`: this installation's, or another for the tests.
 */
export function resolveConfigPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, installDir = INSTALL_DIR): string {
  return path.resolve(flag ?? (env.SMS_OTP_RADIUSD_CONFIG || defaultConfigPath(installDir)));
}

/**
 * Reads, validates and resolves a configuration file: relative paths become absolute against
 * the file's own directory, and secrets given by file or environment variable are read.
 */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `cannot read configuration ${file}: ${describeFsError(err)}; pass --config PATH or set SMS_OTP_RADIUSD_CONFIG`,
    );
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${file}: not valid YAML: ${(err as Error).message}`);
  }
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) {
    throw new ConfigError(`${file}: invalid configuration:\n${formatIssues(result.error.issues)}`);
  }
  return resolveConfig(result.data, file, env);
}

function resolveConfig(parsed: ConfigFile, file: string, env: NodeJS.ProcessEnv): Config {
  const dir = path.dirname(path.resolve(file));
  const abs = (p: string) => path.resolve(dir, p);
  const secret = new SecretReader(file, dir, env);
  const { database } = parsed;
  const resolvedDatabase: DatabaseConfig =
    database.client === 'sqlite'
      ? { ...database, filename: database.filename === ':memory:' ? database.filename : abs(database.filename) }
      : {
          client: 'pg',
          ...(database.pool ? { pool: database.pool } : {}),
          url: secret.read('database', 'url', database),
        };
  if (resolvedDatabase.client === 'pg' && !/^postgres(ql)?:\/\//.test(resolvedDatabase.url)) {
    throw new ConfigError(`${file}: database.url_file/url_env: expected a postgres://user@host:5432/db URL`);
  }
  const clients: RadiusClientConfig[] = parsed.radius.clients.map((client, i) => {
    const { secret: _inline, secret_file: _file, secret_env: _env, ...rest } = client;
    return { ...rest, secret: secret.read(`radius.clients.${i}`, 'secret', client) };
  });
  return {
    ...parsed,
    database: resolvedDatabase,
    secrets: { keyfile: abs(parsed.secrets.keyfile) },
    radius: { ...parsed.radius, clients, dictionaries: parsed.radius.dictionaries.map(abs) },
    providers: { script_directory: abs(parsed.providers.script_directory) },
    ...(parsed.http
      ? { http: { ...parsed.http, ...(parsed.http.tls ? { tls: { cert: abs(parsed.http.tls.cert), key: abs(parsed.http.tls.key) } } : {}) } }
      : {}),
  };
}

/** Reads a secret given inline (KEY), by file (KEY_file) or by environment variable (KEY_env). */
class SecretReader {
  constructor(
    private readonly file: string,
    private readonly dir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  read(where: string, key: string, section: Record<string, unknown>): string {
    const inline = section[key];
    if (typeof inline === 'string') return inline;
    const fromFile = section[`${key}_file`];
    if (typeof fromFile === 'string') {
      const secretFile = path.resolve(this.dir, fromFile);
      let value: string;
      try {
        value = readFileSync(secretFile, 'utf8');
      } catch (err) {
        throw new ConfigError(`${this.file}: ${where}.${key}_file: cannot read ${secretFile}: ${describeFsError(err)}`);
      }
      // The first line: editors and `echo` add a newline that is not part of the secret.
      value = value.split(/\r?\n/, 1)[0] ?? '';
      if (!value) throw new ConfigError(`${this.file}: ${where}.${key}_file: ${secretFile} is empty; put the ${key} on its first line`);
      return value;
    }
    const variable = String(section[`${key}_env`]);
    const value = this.env[variable];
    if (!value) {
      throw new ConfigError(`${this.file}: ${where}.${key}_env: the environment variable ${variable} is not set or empty`);
    }
    return value;
  }
}

function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const where = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
      if (issue.code === 'unrecognized_keys') {
        const keys = issue.keys.map((k) => (where === '(top level)' ? k : `${where}.${k}`));
        return `  - ${keys.join(', ')}: unknown key; remove it or check its spelling`;
      }
      if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) {
        return `  - ${where}: missing; add it (${issue.message})`;
      }
      return `  - ${where}: ${issue.message}`;
    })
    .join('\n');
}
