// The node-local configuration file: what this one daemon needs before it can reach the
// shared store. Everything else (tokens, gateways, settings) lives in the store.
import { isIP } from 'node:net';
import { z } from 'zod';

const port = z.number().int().min(1).max(65535);

/** Where a listener binds: an IP address of this machine (not a name) and a port. */
const listenAddress = z.strictObject({
  host: z.string().refine((h) => isIP(h) !== 0, 'expected an IPv4 or IPv6 address'),
  port,
});

const cidr = z.string().refine(
  (value) => {
    const [address, bits, ...rest] = value.split('/');
    if (rest.length > 0 || !address) return false;
    const family = isIP(address);
    if (family === 0) return false;
    if (bits === undefined) return true;
    if (!/^\d+$/.test(bits)) return false;
    return Number(bits) <= (family === 4 ? 32 : 128);
  },
  { message: 'expected an IPv4 or IPv6 address with an optional /prefix, e.g. 192.0.2.0/24' },
);

/** How the daemon writes its log (log.format). */
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** The client name of every request of the HTTP front, in the audit trail and on its challenges. */
export const HTTP_CLIENT_NAME = 'http';
/** The client name of the web UI's sign-ins (audit trail, challenges, policies' client condition). */
export const WEB_CLIENT_NAME = 'webui';

const sqliteDatabase = z.strictObject({
  client: z.literal('sqlite'),
  filename: z.string().min(1),
});

const pgDatabase = z
  .strictObject({
    client: z.literal('pg'),
    url: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres://user@host:5432/db URL').optional(),
    /** A file holding the URL (it has the password), so this file can be world-readable. */
    url_file: z.string().min(1).optional(),
    /** An environment variable holding the URL. */
    url_env: z.string().min(1).optional(),
    pool: z.strictObject({ min: z.number().int().min(0), max: z.number().int().min(1) }).optional(),
  })
  .superRefine(exactlyOne('url', 'url_file', 'url_env'));

/** A value given once: inline, from a file, or from an environment variable. */
function exactlyOne(...keys: string[]) {
  return (value: Record<string, unknown>, ctx: z.RefinementCtx) => {
    const given = keys.filter((k) => value[k] !== undefined);
    if (given.length === 1) return;
    ctx.addIssue({
      code: 'custom',
      path: given.length ? [given[1]!] : [keys[0]!],
      message: given.length ? `give only one of ${keys.join(', ')}` : `missing; add one of ${keys.join(', ')}`,
    });
  };
}

/** yes/no as YAML writes them (true/false, or the words). */
const yesNo = z.union([z.boolean(), z.enum(['yes', 'no'])]).transform((v) => v === true || v === 'yes');

export const replyAttributeSchema = z.strictObject({
  /** An attribute name from the loaded dictionaries, e.g. Class, Filter-Id, Cisco-AVPair. */
  attribute: z.string().min(1),
  /** The vendor of a vendor-specific attribute, by dictionary name (Cisco) or number (9). */
  vendor: z.union([z.string().min(1), z.number().int().min(1)]).optional(),
  /** Text with the tags {user} {realm} {serial} {client}; 0x... for raw octets. */
  value: z.union([z.string(), z.number()]).transform(String),
});

/** Seconds: below the 5 s timeout most NAS default to (FreeRADIUS as a proxy, Cisco, Fortinet, pam_radius). */
export const DEFAULT_SMS_DEADLINE = 4;

export const radiusClientSchema = z.strictObject({
  name: z.string().min(1),
  address: cidr,
  secret: z.string().min(1, 'a shared secret must not be empty').optional(),
  /** A file holding the shared secret (first line), so this file can be world-readable. */
  secret_file: z.string().min(1).optional(),
  /** An environment variable holding the shared secret. */
  secret_env: z.string().min(1).optional(),
  /**
   * yes: every Access-Request must carry a valid Message-Authenticator (BlastRADIUS);
   * auto: required once this client has sent one; no: checked only when present.
   */
  require_message_authenticator: z
    .union([z.boolean(), z.enum(['yes', 'no', 'auto'])])
    .transform((v) => (v === true ? 'yes' : v === false ? 'no' : v))
    .default('yes'),
  /** Drop a request with Proxy-State but no Message-Authenticator (RFC 3579 hardening). */
  limit_proxy_state: yesNo.default(true),
  /** This client's challenge prompt, instead of the site's sms_challenge_text. */
  challenge_prompt: z.string().min(1).optional(),
  /**
   * Access-Challenge carries Prompt = No-Echo (RFC 2869 §5.10) so the NAS hides the code as it
   * is typed; yes sends Prompt = Echo for a NAS whose users need to see what they type.
   */
  challenge_echo: yesNo.default(false),
  /** When the store fails: closed answers Access-Reject; failover stays silent so the NAS tries its next server. */
  failmode: z.enum(['closed', 'failover']).default('closed'),
  /** Attributes on Access-Accept for this client, instead of radius.accept_attributes. */
  accept_attributes: z.array(replyAttributeSchema).optional(),
  /** This NAS's whole wait for an answer in seconds (timeout × tries), instead of radius.max_request_time. */
  max_request_time: z.number().min(1).max(120).optional(),
  /**
   * Seconds the SMS gateway gets to answer before the Access-Challenge goes out anyway (the
   * send goes on in the background): below this NAS's timeout, so it never retries or gives up
   * while the gateway is slow.
   */
  sms_deadline: z.number().min(0.5).max(60).default(DEFAULT_SMS_DEADLINE),
}).superRefine(exactlyOne('secret', 'secret_file', 'secret_env'));

export const configSchema = z.strictObject({
  database: z.discriminatedUnion('client', [sqliteDatabase, pgDatabase], {
    error: "expected client: sqlite (with filename) or client: pg (with url)",
  }),
  secrets: z.strictObject({ keyfile: z.string().min(1) }),
  radius: z.strictObject({
    listen: z.array(listenAddress).min(1),
    /** Accounting (RFC 2866) listeners, usually port 1813; off when absent. */
    accounting_listen: z.array(listenAddress).min(1, 'give at least one { host, port }, or remove accounting_listen to turn accounting off').optional(),
    clients: z
      .array(radiusClientSchema)
      .min(1, 'no RADIUS client configured: add your NAS (name, address, secret_file) under radius.clients')
      .superRefine((clients, ctx) => {
        const seen = new Set<string>();
        clients.forEach((c, i) => {
          if (seen.has(c.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `client name '${c.name}' is used twice; names must be unique` });
          // Challenges are bound to the client name: a NAS named like the HTTP front could answer its transactions.
          if (c.name.toLowerCase() === HTTP_CLIENT_NAME || c.name.toLowerCase() === WEB_CLIENT_NAME) {
            const front = c.name.toLowerCase() === HTTP_CLIENT_NAME ? 'HTTP front' : 'web UI';
            ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `'${c.name}' is the name of the ${front} (in the audit trail and challenges); choose another name` });
          }
          seen.add(c.name);
        });
      }),
    /** How long a reply is kept to answer retransmissions byte for byte (RFC 5080 §2.2.2). */
    duplicate_cache_seconds: z.number().min(1).max(300).default(30),
    /** Seconds an Access-Reject is held back (slows guessing); at most duplicate_cache_seconds. */
    reject_delay: z.number().min(0).max(10).default(1),
    /** The password that, like an empty one, asks for the SMS of a pending challenge again. */
    resend_keyword: z.string().default('resend'),
    /** How a realm is written in the user name: user@realm (suffix), realm\\user (prefix), or not at all. */
    realm_format: z.enum(['suffix', 'prefix', 'none']).default('suffix'),
    realm_delimiter: z.string().min(1).max(4).default('@'),
    /** More FreeRADIUS-format dictionary files, e.g. /usr/share/freeradius/dictionary.cisco. */
    dictionaries: z.array(z.string().min(1)).default([]),
    /** Attributes added to every Access-Accept (per client: clients[].accept_attributes). */
    accept_attributes: z.array(replyAttributeSchema).default([]),
    /**
     * Seconds a NAS waits for an answer, retransmissions included (its timeout × tries). A
     * request older than this is dropped unanswered instead of computed: nobody waits for it.
     */
    max_request_time: z.number().min(1).max(120).default(15),
  }).refine((r) => r.reject_delay <= r.duplicate_cache_seconds, {
    path: ['reject_delay'],
    message: 'must not exceed radius.duplicate_cache_seconds, or a retransmitted request would be processed again',
  }).superRefine((r, ctx) => {
    r.clients.forEach((c, i) => {
      const window = c.max_request_time ?? r.max_request_time;
      if (c.sms_deadline >= window) {
        ctx.addIssue({
          code: 'custom',
          path: ['clients', i, 'sms_deadline'],
          message: `must be below this client's max_request_time (${window} s): the challenge must reach the NAS while it still waits`,
        });
      }
    });
  }),
  /** The HTTP front (privacyIDEA's /validate API); off when absent. */
  http: z
    .strictObject({
      listen: z.array(listenAddress).min(1, 'list at least one { host, port }, or remove the http section to turn the HTTP front off'),
      /** PEM files; the listener speaks HTTPS when given. */
      tls: z.strictObject({ cert: z.string().min(1), key: z.string().min(1) }).optional(),
      /**
       * Reverse proxies whose X-Forwarded-For is believed: the client address audited is then
       * the one they name. Without them the TCP peer is the client.
       */
      trusted_proxies: z.array(cidr).default([]),
      /** The web UI at /ui/ (helpdesk, self-service, admin), on the same listeners. */
      ui: z
        .strictObject({
          enabled: z.boolean().default(true),
          /** Seconds a signed-in session may stay unused before it ends. */
          idle_timeout: z.number().int().min(10, 'at least 10 seconds').max(86_400, 'at most 86400 seconds (a day)').default(900),
        })
        .default({ enabled: true, idle_timeout: 900 }),
    })
    .optional(),
  providers: z
    .strictObject({ script_directory: z.string().min(1) })
    .default({ script_directory: './scripts' }),
  /**
   * The metrics and health listener (GET /metrics, /healthz, /readyz), TCP; off when absent.
   * Its own addresses, because it is scraped from a monitoring host, not from the NAS.
   */
  metrics: z
    .strictObject({
      listen: z
        .array(listenAddress, {
          error: (issue) =>
            `${issue.input === undefined ? 'missing; add it' : 'expected a list of addresses'}, e.g. listen: [ { host: 127.0.0.1, port: 9812 } ]`,
        })
        .min(1, 'give at least one { host, port }, or remove the metrics section to turn the listener off'),
    })
    .optional(),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).describe('the least severe level logged; a reload (SIGHUP) changes it'),
      format: z
        .enum(LOG_FORMATS)
        .default('json')
        .describe(
          'json: one JSON object per line, times in epoch ms (for the journal, jq, a log shipper); ' +
            'pretty: a human line per event with local time, level and message, its fields after it (pino-pretty); takes a restart',
        ),
    })
    .default({ level: 'info', format: 'json' }),
});

/** The file as written: paths relative to its directory, secrets possibly by reference. */
export type ConfigFile = z.infer<typeof configSchema>;
type FileClient = z.infer<typeof radiusClientSchema>;
type FileDatabase = ConfigFile['database'];

/** A client with its secret read. */
export type RadiusClientConfig = Omit<FileClient, 'secret' | 'secret_file' | 'secret_env'> & { secret: string };
export type DatabaseConfig =
  | Extract<FileDatabase, { client: 'sqlite' }>
  | (Omit<Extract<FileDatabase, { client: 'pg' }>, 'url' | 'url_file' | 'url_env'> & { url: string });
export type RadiusConfig = Omit<ConfigFile['radius'], 'clients'> & { clients: RadiusClientConfig[] };
/** The configuration in use: absolute paths, secrets read (see load.ts). */
export type Config = Omit<ConfigFile, 'database' | 'radius'> & { database: DatabaseConfig; radius: RadiusConfig };
export type HttpConfig = NonNullable<Config['http']>;
export type ReplyAttributeConfig = z.infer<typeof replyAttributeSchema>;
