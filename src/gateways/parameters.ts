// What every provider module takes, declared in one place that loads no provider code (the
// CLI and the application layer read it without loading nodemailer, serialport or undici):
// its options with their limits, whether it sends HTTP headers, and what a token's "phone"
// must hold for it. `checkDefinition` refuses at `gateway set` what could never be sent,
// naming the option and the limit; the providers then parse values known to be in range.
import { validateHeaderName, validateHeaderValue } from 'node:http';
import type { RecipientKind } from '../core/recipient.js';
import type { GatewayDefinition } from '../store/gateways.js';
import { GatewayError } from './provider.js';

export interface Parameter {
  readonly required?: boolean;
  /** Characters; every option has one (DEFAULT_MAX_LENGTH unless said otherwise). */
  readonly maxLength?: number;
  /** Allowed values, compared without regard to case. */
  readonly values?: readonly string[];
  /** A whole number in a range; `hex` also takes 0x… */
  readonly integer?: { readonly min: number; readonly max: number; readonly hex?: boolean };
  /** Seconds, more than 0 and at most 3600 (fractions allowed). */
  readonly seconds?: true;
  /** An http:// or https:// URL. */
  readonly url?: true;
  /** A pattern the value must match, and how to say it. */
  readonly pattern?: { readonly re: RegExp; readonly rule: string };
  /** Where the limit comes from, when it is not ours (a protocol's field size). */
  readonly source?: string;
}

export interface ModuleParameters {
  readonly parameters: Readonly<Record<string, Parameter>>;
  /** http: any other option is a request parameter; every other module refuses unknown options. */
  readonly extraOptions: 'request-parameters' | 'refused';
  /** Whether --header means anything to the module. */
  readonly headers: boolean;
  readonly recipient: RecipientKind;
}

const DEFAULT_MAX_LENGTH = 1024;
/** A path or URL the operator names. */
const PATH_LENGTH = 4096;
const URL_LENGTH = 2048;
const YES_NO = ['yes', 'no', 'true', 'false', '1', '0', 'on', 'off'] as const;

const REGEXP: Parameter = { maxLength: 1024 };
const TIMEOUT: Parameter = { seconds: true };
const PROXY: Parameter = { url: true, maxLength: URL_LENGTH };
const CREDENTIAL: Parameter = { maxLength: 255 };

export const MODULE_PARAMETERS = {
  http: {
    parameters: {
      URL: { required: true, url: true, maxLength: URL_LENGTH },
      HTTP_METHOD: { values: ['GET', 'POST'] },
      HTTP_Method: { values: ['GET', 'POST'] },
      CHECK_SSL: { values: YES_NO },
      SEND_DATA_AS_JSON: { values: YES_NO },
      USERNAME: CREDENTIAL,
      PASSWORD: CREDENTIAL,
      RETURN_SUCCESS: {},
      RETURN_FAIL: {},
      REGEXP,
      PROXY,
      HTTP_PROXY: PROXY,
      HTTPS_PROXY: PROXY,
      TIMEOUT,
      SMS_PHONENUMBER_KEY: { maxLength: 255 },
      SMS_TEXT_KEY: { maxLength: 255 },
      PARAMETER: { maxLength: 4096 },
    },
    extraOptions: 'request-parameters',
    headers: true,
    recipient: 'phone',
  },
  script: {
    parameters: {
      SCRIPT: { required: true, maxLength: 255, source: 'a file name' },
      BACKGROUND: { values: ['background', 'wait'] },
      TIMEOUT,
      REGEXP,
    },
    extraOptions: 'refused',
    headers: false,
    recipient: 'phone',
  },
  smtp: {
    parameters: {
      SMTPIDENTIFIER: { required: true, maxLength: 64, source: 'an SMTP server id' },
      MAILTO: { required: true, maxLength: 998, source: 'RFC 5322 line length' },
      SUBJECT: { maxLength: 998, source: 'RFC 5322 line length' },
      BODY: {},
      REGEXP,
    },
    extraOptions: 'refused',
    headers: false,
    recipient: 'phone',
  },
  sipgate: {
    parameters: {
      URL: { url: true, maxLength: URL_LENGTH },
      USERNAME: { required: true, ...CREDENTIAL },
      PASSWORD: { required: true, ...CREDENTIAL },
      PROXY,
      HTTPS_PROXY: PROXY,
      TIMEOUT,
      REGEXP,
    },
    extraOptions: 'refused',
    headers: false,
    recipient: 'phone',
  },
  smpp: {
    // Field sizes of SMPP 3.4 (section 4.1.1 bind, 4.4.1 submit_sm), without the closing NUL.
    parameters: {
      SMSC_HOST: { required: true, maxLength: 255 },
      SMSC_PORT: { required: true, integer: { min: 1, max: 65535 } },
      SYSTEM_ID: { maxLength: 15, source: 'SMPP 3.4 system_id' },
      PASSWORD: { maxLength: 8, source: 'SMPP 3.4 password' },
      SYSTEM_TYPE: { maxLength: 12, source: 'SMPP 3.4 system_type' },
      S_ADDR: { maxLength: 20, source: 'SMPP 3.4 source_addr' },
      S_ADDR_TON: { integer: { min: 0, max: 255, hex: true } },
      S_ADDR_NPI: { integer: { min: 0, max: 255, hex: true } },
      D_ADDR_TON: { integer: { min: 0, max: 255, hex: true } },
      D_ADDR_NPI: { integer: { min: 0, max: 255, hex: true } },
      REGISTERED_DELIVERY: { integer: { min: 0, max: 255, hex: true } },
      TIMEOUT,
      REGEXP,
    },
    extraOptions: 'refused',
    headers: false,
    recipient: 'phone',
  },
  modem: {
    parameters: {
      PORT: { required: true, maxLength: PATH_LENGTH },
      BAUDRATE: { integer: { min: 300, max: 4_000_000 } },
      PIN: { pattern: { re: /^\d{4,8}$/, rule: 'the SIM PIN, 4 to 8 digits' } },
      MODE: { values: ['pdu', 'text'] },
      SMSC_NUMBER: { pattern: { re: /^\+?\d{1,20}$/, rule: 'a number: optional +, 1 to 20 digits' } },
      TIMEOUT,
      REGEXP,
    },
    extraOptions: 'refused',
    headers: false,
    recipient: 'phone',
  },
  firebase: {
    parameters: {
      JSON_CONFIG: { required: true, maxLength: PATH_LENGTH },
      PROJECT_ID: { maxLength: 128 },
      HTTPS_PROXY: PROXY,
      // privacyIDEA's name for HTTPS_PROXY, kept so migrated definitions work.
      httpsproxy: PROXY,
      CA_FILE: { maxLength: PATH_LENGTH },
      TTL: { seconds: true },
      TIMEOUT,
      REGEXP,
    },
    extraOptions: 'refused',
    headers: false,
    recipient: 'device-token',
  },
  failover: {
    parameters: {
      GATEWAYS: {
        required: true,
        pattern: { re: /^\s*[A-Za-z0-9._-]+\s*(,\s*[A-Za-z0-9._-]+\s*)*$/, rule: 'gateway ids in the order to try them, separated by commas, e.g. primary,backup' },
      },
    },
    extraOptions: 'refused',
    headers: false,
    recipient: 'phone',
  },
} as const satisfies Record<string, ModuleParameters>;

/** The members of a failover gateway, in order, as its GATEWAYS option names them. */
export function failoverMembers(gateways: string): string[] {
  return gateways.split(',').map((m) => m.trim()).filter((m) => m !== '');
}

export type ModuleName = keyof typeof MODULE_PARAMETERS;

export function parameterNames(module: ModuleName): ReadonlySet<string> {
  return new Set(Object.keys(MODULE_PARAMETERS[module].parameters));
}

/** The problem with one value, or undefined. */
function problemOf(p: Parameter, value: string): string | undefined {
  const max = p.maxLength ?? DEFAULT_MAX_LENGTH;
  if ([...value].length > max) return `is at most ${max} characters${p.source ? ` (${p.source})` : ''}, not ${[...value].length}`;
  if (p.values && !p.values.some((v) => v.toLowerCase() === value.toLowerCase())) return `must be one of ${p.values.join(', ')}, not '${value}'`;
  if (p.integer) {
    const { min, max: top, hex } = p.integer;
    const n = hex && /^0x[0-9a-f]+$/i.test(value) ? parseInt(value, 16) : /^\d+$/.test(value) ? Number(value) : NaN;
    if (!(n >= min && n <= top)) return `must be a whole number from ${min} to ${top}${hex ? ' (decimal or 0x hex)' : ''}, not '${value}'`;
  }
  if (p.seconds) {
    const n = Number(value);
    if (!(Number.isFinite(n) && n > 0 && n <= 3600)) return `must be a number of seconds, more than 0 and at most 3600, not '${value}'`;
  }
  if (p.url) {
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      /* reported below */
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return 'must be an http:// or https:// URL';
  }
  if (p.pattern && !p.pattern.re.test(value)) return `must be ${p.pattern.rule}`;
  return undefined;
}

/** Node's own checks (the ones its HTTP client applies when sending), turned into a sentence. */
function headerProblem(name: string, value: string): string | undefined {
  try {
    validateHeaderName(name);
  } catch {
    return `header name '${name}' is not an HTTP token (RFC 9110: letters, digits and !#$%&'*+-.^_\`|~ only)`;
  }
  try {
    validateHeaderValue(name, value);
  } catch {
    return `header ${name}: the value holds a character HTTP forbids in a header (a control character such as CR, LF or NUL, or one beyond Latin-1)`;
  }
  if (value !== value.trim()) return `header ${name}: the value must not begin or end with white space`;
  if (value.length > 8192) return `header ${name}: the value is at most 8192 characters`;
  return undefined;
}

/**
 * Refuses a definition that could never be sent: an unknown module, a missing required
 * option, a value beyond its option's limit, an unknown option (except http's request
 * parameters), headers for a module that sends none, or a header HTTP would refuse.
 * A censored secret must already be resolved to the stored value.
 */
export function checkDefinition(def: GatewayDefinition): void {
  const spec: ModuleParameters | undefined = Object.hasOwn(MODULE_PARAMETERS, def.module)
    ? MODULE_PARAMETERS[def.module as ModuleName]
    : undefined;
  const fail = (reason: string): never => {
    throw new GatewayError(def.identifier, reason, 'configuration');
  };
  if (!spec) return fail(`unknown module '${def.module}'; one of ${Object.keys(MODULE_PARAMETERS).join(', ')}`);
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(def.options)) {
    const p = spec.parameters[key];
    if (!p) {
      if (spec.extraOptions === 'refused') unknown.push(key);
      else if ([...value].length > DEFAULT_MAX_LENGTH) fail(`option ${key} is at most ${DEFAULT_MAX_LENGTH} characters, not ${[...value].length}`);
      continue;
    }
    if (value === '') continue; // an empty option is an unset one
    const problem = problemOf(p, value);
    if (problem) fail(`option ${key} ${problem}`);
  }
  if (unknown.length) fail(`unknown option ${unknown.join(', ')}; ${def.module} takes ${Object.keys(spec.parameters).join(', ')}`);
  for (const [key, p] of Object.entries(spec.parameters)) {
    if (p.required && !def.options[key]) fail(`option ${key} is required (gateway set ${def.identifier} --option ${key}=...)`);
  }
  const headers = Object.entries(def.headers);
  if (headers.length && !spec.headers) fail(`the ${def.module} module sends no HTTP headers; remove --header ${headers.map(([k]) => k).join(', ')}`);
  for (const [name, value] of headers) {
    const problem = headerProblem(name, value);
    if (problem) fail(problem);
  }
}
