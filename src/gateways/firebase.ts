// Firebase provider: the OTP as an FCM data message to an app, through firebase-admin. For a
// token on this gateway, its "phone" is the device's FCM registration token.
//
// The service-account file is checked when the gateway is defined, so `gateway set` fails on
// a wrong path or a wrong kind of JSON instead of the first login. firebase-admin is loaded on
// first use: it is large, and most sites never use this module.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import { HttpsProxyAgent } from 'https-proxy-agent';
import type { Messaging } from 'firebase-admin/messaging';
import type { GatewayDefinition } from './definition.js';
import { rewritePhone } from './phone.js';
import { GatewayError, Options, type GatewayFailure, type SmsProvider } from './provider.js';
import { FIREBASE_PARAMETERS } from './firebase-parameters.js';


let appSequence = 0;

/** https-proxy-agent does not pass its constructor's TLS options on to the tunnelled TLS session. */
class TunnelAgent extends HttpsProxyAgent<string> {
  constructor(
    proxy: string,
    private readonly ca: string[] | undefined,
  ) {
    super(proxy, { keepAlive: true });
  }

  override connect(...[req, opts]: Parameters<HttpsProxyAgent<string>['connect']>): ReturnType<HttpsProxyAgent<string>['connect']> {
    return super.connect(req, this.ca && opts.secureEndpoint ? { ...opts, ca: this.ca } : opts);
  }
}

export class FirebaseProvider implements SmsProvider {
  private readonly opts: Options;
  private readonly serviceAccountFile: string;
  private readonly projectId: string;
  private readonly agent: https.Agent;
  private readonly ttlSeconds: number;
  private readonly timeoutMs: number;
  private messaging: Promise<Messaging> | undefined;

  constructor(definition: GatewayDefinition) {
    this.opts = new Options(definition, FIREBASE_PARAMETERS);
    this.opts.rejectUnknown('Firebase');
    this.serviceAccountFile = this.opts.required('JSON_CONFIG');
    const fileProjectId = this.checkServiceAccount(this.serviceAccountFile);
    const projectId = this.opts.get('PROJECT_ID') ?? fileProjectId;
    if (!projectId) throw new GatewayError(this.opts.id, 'the service-account file names no project_id; set option PROJECT_ID', 'configuration');
    this.projectId = projectId;
    this.ttlSeconds = this.opts.seconds('TTL');
    // firebase-admin waits 15 s per attempt and retries a 503 up to four times; a NAS gives
    // up long before that, so the whole send is bounded here.
    this.timeoutMs = this.opts.seconds('TIMEOUT') * 1000;
    this.agent = this.createAgent();
  }

  /** An option's file, or an error naming the option: the file is read when the gateway is defined. */
  private readOptionFile(key: string, file: string, hint = ''): string {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new GatewayError(this.opts.id, `option ${key}: cannot read ${file} (${(err as NodeJS.ErrnoException).code})${hint}`, 'configuration');
    }
  }

  /**
   * Checks the key file firebase-admin will load (it reads the path itself, see
   * firebaseMessaging) and returns its project_id.
   */
  private checkServiceAccount(file: string): string | undefined {
    const text = this.readOptionFile('JSON_CONFIG', file, '; download the service-account key from the Firebase console (Project settings, Service accounts)');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new GatewayError(this.opts.id, `option JSON_CONFIG: ${file} is not valid JSON`, 'configuration');
    }
    const account = json as Record<string, unknown>;
    if (typeof json !== 'object' || json === null || account.type !== 'service_account') {
      throw new GatewayError(this.opts.id, `option JSON_CONFIG: ${file} is not a service-account key (its "type" must be "service_account"; google-services.json is the app's file, not the server's)`, 'configuration');
    }
    for (const key of ['client_email', 'private_key'] as const) {
      if (typeof account[key] !== 'string' || !account[key]) throw new GatewayError(this.opts.id, `option JSON_CONFIG: ${file} has no ${key}`, 'configuration');
    }
    return typeof account.project_id === 'string' ? account.project_id : undefined;
  }

  /** One agent for the OAuth token and the FCM calls: through HTTPS_PROXY, trusting CA_FILE too. */
  private createAgent(): https.Agent {
    const caFile = this.opts.get('CA_FILE');
    // `ca` replaces Node's roots, so the extra CA comes on top of them.
    const ca = caFile ? [...rootCertificates, this.readOptionFile('CA_FILE', caFile)] : undefined;
    const proxy = this.opts.get('HTTPS_PROXY') ?? this.opts.get('httpsproxy');
    if (!proxy) return new https.Agent({ keepAlive: true, ca });
    try {
      return new TunnelAgent(proxy, ca);
    } catch {
      throw new GatewayError(this.opts.id, `option HTTPS_PROXY must be a URL such as http://proxy.example.com:3128`, 'configuration');
    }
  }

  private async firebaseMessaging(): Promise<Messaging> {
    const { cert, initializeApp } = await import('firebase-admin/app');
    const { getMessaging } = await import('firebase-admin/messaging');
    // The path, not the parsed object: with an object, firebase-admin 13 fetches the OAuth
    // token without the agent, so past the proxy (firebase/firebase-admin-node#2960).
    const credential = cert(this.serviceAccountFile, this.agent);
    const app = initializeApp({ credential, projectId: this.projectId, httpAgent: this.agent }, `sms-otp-radiusd-${this.opts.id}-${++appSequence}`);
    return getMessaging(app);
  }

  async send(rawPhone: string, message: string): Promise<void> {
    const registrationToken = rewritePhone(rawPhone, this.opts.get('REGEXP')).trim();
    if (!registrationToken) throw new GatewayError(this.opts.id, 'the token has no FCM registration token in its phone field', 'configuration');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from Google within ${this.timeoutMs / 1000} s (TIMEOUT)`)), this.timeoutMs);
    });
    try {
      // A failed start (the key file unreadable since `gateway set`) is not kept: the next
      // send tries again rather than failing until a restart.
      this.messaging ??= this.firebaseMessaging().catch((err: unknown) => {
        this.messaging = undefined;
        throw err;
      });
      const messaging = await this.messaging;
      await Promise.race([
        messaging.send({
          token: registrationToken,
          data: { message },
          android: { priority: 'high', ttl: this.ttlSeconds * 1000 },
        }),
        deadline,
      ]);
    } catch (err) {
      throw new GatewayError(this.opts.id, `FCM project ${this.projectId}: ${describeFirebaseError(err)}`, firebaseFailureOf(err));
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    const messaging = this.messaging;
    this.messaging = undefined;
    if (messaging) {
      const { deleteApp } = await import('firebase-admin/app');
      await deleteApp((await messaging).app).catch(() => undefined);
    }
    this.agent.destroy();
  }
}

/** firebase-admin's error codes, turned into what an operator can do about them. */
/** FCM's answer classed: its outages and quota are transient, a bad token is a refusal, our credentials are configuration. */
function firebaseFailureOf(err: unknown): GatewayFailure {
  const code = (err as { code?: unknown }).code;
  switch (code) {
    case 'messaging/registration-token-not-registered':
    case 'messaging/invalid-registration-token':
    case 'messaging/invalid-argument':
    case 'messaging/quota-exceeded':
    case 'messaging/message-rate-exceeded':
      return 'refused';
    case 'messaging/mismatched-credential':
    case 'messaging/sender-id-mismatch':
    case 'messaging/third-party-auth-error':
    case 'app/invalid-credential':
      return 'configuration';
    default:
      return 'unreachable';
  }
}

function describeFirebaseError(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const detail = err instanceof Error ? err.message : String(err);
  switch (code) {
    case 'messaging/registration-token-not-registered':
      return 'the device registration token is no longer registered (app removed or token rotated); set the token\'s phone to the app\'s current registration token';
    case 'messaging/invalid-registration-token':
    case 'messaging/invalid-argument':
      return `FCM refused the message as invalid (${detail}); is the token's phone an FCM registration token?`;
    case 'messaging/mismatched-credential':
    case 'messaging/sender-id-mismatch':
      return `the registration token belongs to another Firebase project or the service account may not send for this one (${detail})`;
    case 'messaging/third-party-auth-error':
      return `FCM could not reach Apple or the web push service with the project's credentials (${detail}); check the APNs key in the Firebase console`;
    case 'messaging/quota-exceeded':
    case 'messaging/message-rate-exceeded':
      return `FCM quota exceeded (${detail})`;
    case 'messaging/server-unavailable':
    case 'messaging/internal-error':
      return `FCM is unavailable (${detail})`;
    case 'app/invalid-credential':
      return `no access token for the service account (${detail}); check that the key in JSON_CONFIG is not revoked and the clock is right`;
    default:
      return typeof code === 'string' ? `${code}: ${detail}` : detail;
  }
}

export const createFirebaseProvider = (definition: GatewayDefinition): SmsProvider => new FirebaseProvider(definition);
