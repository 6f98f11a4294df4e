// What a RADIUS server that logins are forwarded to is defined by (passthru=radius:NAME): the
// store persists it (src/store/radius-servers.ts) importing this module only, as it does the
// gateways' definitions. Its parameters, and what each means, are declared in ./parameters.ts.

export interface RadiusServerDefinition {
  /** The name passthru=radius:NAME uses. */
  readonly identifier: string;
  readonly description: string;
  /** Host name or address. */
  readonly host: string;
  readonly port: number;
  /** The shared secret (sealed at rest, censored wherever shown). */
  readonly secret: string;
  /** Seconds before a request is sent again (the same packet), within the NAS's time. */
  readonly timeout: number;
  /** An answer without a valid Message-Authenticator is refused (BlastRADIUS, RFC 3579 §3.2). */
  readonly requireMessageAuthenticator: boolean;
}
