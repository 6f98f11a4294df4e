import { SmsOtpError } from '../errors.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';

export const DEFAULT_CONFIG_PATH = 'config/sms-otp-radiusd.yaml';

/** A configuration that cannot be used; the message names the file, the key and the fix. */
export class ConfigError extends SmsOtpError {
  override name = 'ConfigError';
  readonly code = 'ERR_CONFIG';
}

/** --config wins, then $SMS_OTP_RADIUSD_CONFIG, then the example path in the checkout. */
export function resolveConfigPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(flag ?? env.SMS_OTP_RADIUSD_CONFIG ?? DEFAULT_CONFIG_PATH);
}

export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `cannot read configuration ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}; ` +
        'pass --config PATH or set SMS_OTP_RADIUSD_CONFIG',
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
  return result.data;
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
