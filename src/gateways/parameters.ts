// The catalogue of the modules' parameters, each declared beside its module's code
// (http-parameters.ts, …; declare.ts says what a declaration holds), and `checkDefinition`,
// which refuses at `gateway set` what could never be sent, naming the option and the limit:
// the providers then parse values known to be in range.
import { validateHeaderName, validateHeaderValue } from 'node:http';
import type { GatewayDefinition } from './definition.js';
import { DEFAULT_MAX_LENGTH, type ModuleParameters, type Parameter } from './declare.js';
import { FAILOVER_PARAMETERS } from './failover-parameters.js';
import { FIREBASE_PARAMETERS } from './firebase-parameters.js';
import { HTTP_PARAMETERS } from './http-parameters.js';
import { MODEM_PARAMETERS } from './modem-parameters.js';
import { GatewayError } from './provider.js';
import { SCRIPT_PARAMETERS } from './script-parameters.js';
import { SIPGATE_PARAMETERS } from './sipgate-parameters.js';
import { SMPP_PARAMETERS } from './smpp-parameters.js';
import { SMTP_PARAMETERS } from './smtp-parameters.js';

export { failoverMembers } from './failover-parameters.js';

export const MODULE_PARAMETERS = {
  http: HTTP_PARAMETERS,
  script: SCRIPT_PARAMETERS,
  smtp: SMTP_PARAMETERS,
  sipgate: SIPGATE_PARAMETERS,
  smpp: SMPP_PARAMETERS,
  modem: MODEM_PARAMETERS,
  firebase: FIREBASE_PARAMETERS,
  failover: FAILOVER_PARAMETERS,
} as const satisfies Record<string, ModuleParameters>;

export type ModuleName = keyof typeof MODULE_PARAMETERS;

/** The declaration of a module, undefined for a name no module has. */
export function moduleParameters(module: string): ModuleParameters | undefined {
  return Object.hasOwn(MODULE_PARAMETERS, module) ? MODULE_PARAMETERS[module as ModuleName] : undefined;
}

/** At most one insertion, deletion or substitution apart (and not the same). */
function oneEditApart(a: string, b: string): boolean {
  if (a === b || Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) return a.slice(i + 1) === b.slice(i + 1);
  return a.length > b.length ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}

/** The declared parameter an undeclared option is one typo away from, if any (TIMOUT: TIMEOUT). */
function likelyTypo(spec: ModuleParameters, key: string): string | undefined {
  return Object.keys(spec.parameters).find((name) => oneEditApart(key, name));
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
 * parameters, unless one edit away from a declared parameter: TIMOUT), headers for a module that sends none, or a header HTTP would refuse.
 * A censored secret must already be resolved to the stored value.
 */
export function checkDefinition(def: GatewayDefinition): void {
  const spec = moduleParameters(def.module);
  const fail = (reason: string): never => {
    throw new GatewayError(def.identifier, reason, 'configuration');
  };
  if (!spec) return fail(`unknown module '${def.module}'; one of ${Object.keys(MODULE_PARAMETERS).join(', ')}`);
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(def.options)) {
    const p = spec.parameters[key];
    if (!p) {
      if (spec.extraOptions === 'refused') unknown.push(key);
      else if (likelyTypo(spec, key)) {
        const meant = likelyTypo(spec, key)!;
        fail(`option ${key} is no parameter of ${def.module} and would go out as a request parameter: did you mean ${meant}? (a request parameter of that very name goes in PARAMETER, e.g. PARAMETER=${key}=VALUE)`);
      } else if ([...value].length > DEFAULT_MAX_LENGTH) fail(`option ${key} is at most ${DEFAULT_MAX_LENGTH} characters, not ${[...value].length}`);
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
