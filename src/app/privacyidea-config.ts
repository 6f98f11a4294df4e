// privacyIDEA's SMS gateways, SMTP servers and system settings, as ours. A provider module
// becomes the module of ours that speaks the same protocol, its options kept by name (ours
// were declared with privacyIDEA's names); a definition our module would refuse, a module we
// lack, and a setting without a counterpart are listed with the reason, never dropped silently.
import { SmsOtpError } from '../core/errors.js';
import { normaliseSetting } from '../core/settings.js';
import { checkDefinition } from '../gateways/parameters.js';
import type { GatewayDefinition, SmtpServerDefinition } from '../gateways/definition.js';
import type { PiGateway, PiSmtpServer } from '../migrate/privacyidea/model.js';

export interface NotCarried {
  readonly what: string;
  readonly why: string;
}

/** privacyIDEA's provider class → our module. */
const MODULES: Readonly<Record<string, string>> = {
  HttpSMSProvider: 'http',
  SmtpSMSProvider: 'smtp',
  SipgateSMSProvider: 'sipgate',
  SmppSMSProvider: 'smpp',
  ScriptSMSProvider: 'script',
  FirebaseProvider: 'firebase',
};

/** Our gateway for theirs, or why there is none. */
export function gatewayOf(g: PiGateway): { definition: GatewayDefinition } | NotCarried {
  const what = `gateway ${g.identifier} (${g.module})`;
  const module = MODULES[g.module];
  if (!module) return { what, why: `no module here speaks ${g.module}; define one with 'gateway set ${g.identifier} --module …'` };
  const definition: GatewayDefinition = { identifier: g.identifier, description: g.description, module, options: { ...g.options }, headers: { ...g.headers } };
  try {
    checkDefinition(definition);
  } catch (err) {
    if (!(err instanceof SmsOtpError)) throw err;
    return { what, why: `our ${module} module refuses it: ${err.message}` };
  }
  return { definition };
}

export function smtpServerOf(s: PiSmtpServer): SmtpServerDefinition {
  return {
    identifier: s.identifier,
    description: s.description,
    server: s.server,
    port: s.port,
    username: s.username === '' ? null : s.username,
    password: s.password,
    sender: s.sender === '' ? null : s.sender,
    tls: s.tls,
    timeout: s.timeout,
    caFile: null,
  };
}

/** Their config key → our setting, for those with a counterpart. */
const SETTINGS: Readonly<Record<string, string>> = {
  'sms.identifier': 'sms.identifier',
  'sms.providerTimeout': 'sms.providerTimeout',
  'sms.concurrent_challenges': 'sms.concurrent_challenges',
  DefaultMaxFailCount: 'token.default_maxfail',
  DefaultCountWindow: 'token.default_count_window',
};

/** Why a config key of theirs has no setting here. */
const NO_COUNTERPART: Readonly<Record<string, string>> = {
  DefaultOtpLen: 'each token carries its own OTP length; tokens enrolled here have 6 digits',
  DefaultSyncWindow: 'there is no resynchronisation here (SMS tokens never need one)',
  DefaultResetFailCount: 'a correct login always resets the fail counter here',
  PrependPin: 'the PIN always comes before the OTP here',
  IncFailCountOnFalsePin: 'a wrong PIN always counts as a failure here',
  splitAtSign: 'how a realm is written into a login name is radius.realm_format in the configuration file',
};

/** Keys privacyIDEA keeps for itself. */
const INTERNAL = new Set(['__timestamp__']);

/** Our settings from their config; `gateways` are the identifiers that exist after the import. */
export function settingsOf(config: Readonly<Record<string, string>>, gateways: ReadonlySet<string>, notCarried: NotCarried[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(config).sort(([a], [b]) => a.localeCompare(b))) {
    if (INTERNAL.has(key)) continue;
    const ours = SETTINGS[key];
    const what = `setting ${key}=${value}`;
    if (!ours) {
      notCarried.push({ what, why: NO_COUNTERPART[key] ?? 'no counterpart here' });
      continue;
    }
    if (ours === 'sms.identifier' && !gateways.has(value)) {
      notCarried.push({ what, why: `gateway ${value} is not carried over` });
      continue;
    }
    try {
      out.push([ours, normaliseSetting(ours, value.toLowerCase() === 'true' ? 'true' : value.toLowerCase() === 'false' ? 'false' : value)]);
    } catch (err) {
      if (!(err instanceof SmsOtpError)) throw err;
      notCarried.push({ what, why: err.message });
    }
  }
  return out;
}
