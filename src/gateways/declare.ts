// How a gateway module declares its parameters, as privacyIDEA's `parameters()` and
// FreeRADIUS's CONF_PARSER do: each module's declaration sits beside its code
// (http-parameters.ts beside http.ts, …), in a file that loads nothing of the provider, so the
// CLI and the application layer read it without loading nodemailer, serialport or undici.
// Defaults, validation (parameters.ts), sealing and censoring (secrets.ts), `gateway show`,
// `gateway modules`, the admin API and `check` all read that one declaration.
import type { RecipientKind } from '../core/recipient.js';

export interface Parameter {
  /** One line for `gateway modules` and GET /smsgateway/providers. */
  readonly help: string;
  readonly required?: boolean;
  /** What the provider uses when the option is unset (or empty). */
  readonly default?: string;
  /** Sealed at rest and shown as __CENSORED__. URL parameters are sealed and censored in part (their credentials). */
  readonly secret?: boolean;
  /** Characters; every option has one (DEFAULT_MAX_LENGTH unless said otherwise). */
  readonly maxLength?: number;
  /** Allowed values, compared without regard to case. */
  readonly values?: readonly string[];
  /** A whole number in a range; `hex` also takes 0x… */
  readonly integer?: { readonly min: number; readonly max: number; readonly hex?: boolean };
  /** Seconds, more than 0 and at most 3600 (fractions allowed). */
  readonly seconds?: true;
  /** An http:// or https:// URL: with a password or a query, sealed, and those censored. */
  readonly url?: true;
  /** A pattern the value must match, and how to say it. */
  readonly pattern?: { readonly re: RegExp; readonly rule: string };
  /** Where the limit comes from, when it is not ours (a protocol's field size). */
  readonly source?: string;
}

export interface ModuleParameters {
  /** One line: what the module sends through. */
  readonly help: string;
  readonly parameters: Readonly<Record<string, Parameter>>;
  /** http: any other option is a request parameter; every other module refuses unknown options. */
  readonly extraOptions: 'request-parameters' | 'refused';
  /** Whether --header means anything to the module (every header value is a secret). */
  readonly headers: boolean;
  readonly recipient: RecipientKind;
}

export const DEFAULT_MAX_LENGTH = 1024;
/** A path or URL the operator names. */
export const PATH_LENGTH = 4096;
export const URL_LENGTH = 2048;
export const YES_NO = ['yes', 'no', 'true', 'false', '1', '0', 'on', 'off'] as const;

export const REGEXP: Parameter = { maxLength: 1024, help: 'phone number rewrite /pattern/replacement/ (all matches)' };
export const timeout = (seconds: number): Parameter => ({ seconds: true, default: String(seconds), help: 'seconds to wait for the gateway' });
export const proxy = (help: string): Parameter => ({ url: true, maxLength: URL_LENGTH, help });
export const credential = (help: string, extra: Partial<Parameter> = {}): Parameter => ({ maxLength: 255, help, ...extra });
