// What a privacyIDEA 3.x database holds that a move to this product cares about, read once
// (./read.ts) and handed to the application layer (src/app/privacyidea-migration.ts), which
// decides what becomes ours. Token keys are already decrypted here; nothing is written.
import type { PasswdUser } from './passwd.js';

/** The token key, or why it could not be decrypted (wrong key file, HSM, missing). */
export type PiOtpKey = { readonly key: Buffer } | { readonly problem: string };

export interface PiToken {
  readonly serial: string;
  /** privacyIDEA's token type: sms, hotp, totp, email, … */
  readonly type: string;
  readonly description: string;
  readonly active: boolean;
  readonly revoked: boolean;
  readonly locked: boolean;
  readonly failcount: number;
  readonly maxfail: number;
  /** token.count: the next HOTP counter privacyIDEA checks. */
  readonly counter: number;
  readonly otplen: number;
  readonly countWindow: number;
  /** As stored: passlib's `$argon2id$…`, `@@…` (an encrypted PIN), a legacy sha256 hex, or ''. */
  readonly pinHash: string;
  /** An encrypted PIN (`@@…`, encryptpin) decrypted with the key file, else undefined. */
  readonly clearPin?: string;
  readonly otpKey: PiOtpKey;
  /** tokeninfo, key → value (phone, dynamic_phone, hashlib, sms.identifier, …). */
  readonly info: Readonly<Record<string, string>>;
  readonly owner?: PiOwner;
  /** The realms the token is in (tokenrealm). */
  readonly realms: readonly string[];
}

export interface PiOwner {
  readonly resolver: string;
  /** The resolver's id of the user: a uid number (passwd), a DN or an entryUUID (LDAP), … */
  readonly userId: string;
  readonly realm?: string;
}

export interface PiResolver {
  readonly name: string;
  /** passwdresolver, ldapresolver, sqlresolver, scimresolver, … */
  readonly type: string;
  readonly config: Readonly<Record<string, string>>;
}

export interface PiRealm {
  readonly name: string;
  readonly isDefault: boolean;
  readonly resolvers: readonly string[];
}

export interface PiGateway {
  readonly identifier: string;
  readonly description: string;
  /** The provider module's class name: HttpSMSProvider, SmtpSMSProvider, SipgateSMSProvider, … */
  readonly module: string;
  readonly options: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
}

export interface PiSmtpServer {
  readonly identifier: string;
  readonly description: string;
  readonly server: string;
  readonly port: number;
  readonly username: string;
  /** Decrypted with the key file; null when none is stored or it cannot be decrypted. */
  readonly password: string | null;
  readonly sender: string;
  readonly tls: boolean;
  readonly timeout: number;
}

export interface PiSnapshot {
  readonly tokens: readonly PiToken[];
  readonly realms: readonly PiRealm[];
  readonly resolvers: readonly PiResolver[];
  readonly gateways: readonly PiGateway[];
  readonly smtpServers: readonly PiSmtpServer[];
  /** The config table (system settings), key → value. */
  readonly config: Readonly<Record<string, string>>;
  /** Names of policies and event handlers: listed as not carried. */
  readonly policies: readonly string[];
  readonly eventHandlers: readonly string[];
  /** Users of passwd resolvers, by resolver then uid (read from their files). */
  readonly passwdUsers: ReadonlyMap<string, ReadonlyMap<string, PasswdUser> | { readonly problem: string }>;
}
