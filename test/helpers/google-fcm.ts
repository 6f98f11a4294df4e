// Google's side of Firebase Cloud Messaging, on loopback: the OAuth 2.0 token endpoint (which
// checks the service account's signed JWT) and the FCM v1 send endpoint (which checks the
// access token). The HTTPS certificate comes from a throw-away CA; a routing CONNECT proxy
// brings the SDK's connections to *.googleapis.com here.
//
// Registration tokens steer the answer: "unregistered…" gets FCM's UNREGISTERED error,
// "unavailable…" a 503, "silent…" no answer at all.
import { createVerify, generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { startConnectProxy } from './connect-proxy.js';
import { tempDir } from './fs.js';
import { closerFor } from './sockets.js';
import { certificateAuthority } from './tls.js';

export interface FcmMessage {
  host: string;
  project: string;
  message: { token: string; data?: Record<string, string>; android?: { priority?: string; ttl?: string } };
}

export interface FakeGoogle {
  /** The service-account key file the provider reads (JSON_CONFIG). */
  readonly serviceAccountFile: string;
  readonly projectId: string;
  /** The CA the local endpoint's certificate chains to (CA_FILE). */
  readonly caFile: string;
  /** The CONNECT proxy in front of the endpoint (HTTPS_PROXY). */
  readonly proxyUrl: string;
  /** host:port of every tunnel the proxy opened. */
  readonly tunnels: string[];
  readonly tokenRequests: Array<{ host: string; iss: string; scope: string }>;
  readonly sent: FcmMessage[];
  /** From now on the token endpoint refuses the JWT, as Google does for a deleted key. */
  revokeKey(): void;
  close(): Promise<void>;
}

function readBody(req: import('node:http').IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

/** Verifies an RS256 JWT with the public key; returns its claims or undefined. */
function verifyJwt(jwt: string, publicKey: string): Record<string, unknown> | undefined {
  const [header, payload, signature] = jwt.split('.');
  if (!header || !payload || !signature) return undefined;
  if (JSON.parse(Buffer.from(header, 'base64url').toString()).alg !== 'RS256') return undefined;
  const ok = createVerify('RSA-SHA256').update(`${header}.${payload}`).verify(publicKey, Buffer.from(signature, 'base64url'));
  return ok ? JSON.parse(Buffer.from(payload, 'base64url').toString()) : undefined;
}

function fcmError(code: number, status: string, errorCode: string, message: string): string {
  return JSON.stringify({ error: { code, message, status, details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode }] } });
}

export async function startFakeGoogle(projectId = 'otp-test-project'): Promise<FakeGoogle> {
  const dir = tempDir('smsotp-google-');
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const clientEmail = `otp-sender@${projectId}.iam.gserviceaccount.com`;
  const serviceAccountFile = path.join(dir, 'service-account.json');
  writeFileSync(serviceAccountFile, JSON.stringify({
    type: 'service_account', project_id: projectId, private_key_id: randomBytes(20).toString('hex'), private_key: privateKey,
    client_email: clientEmail, client_id: '100000000000000000001', token_uri: 'https://oauth2.googleapis.com/token',
  }));
  const tls = certificateAuthority(['oauth2.googleapis.com', 'www.googleapis.com', 'fcm.googleapis.com']);

  const accessTokens = new Set<string>();
  const tokenRequests: FakeGoogle['tokenRequests'] = [];
  const sent: FcmMessage[] = [];
  let revoked = false;

  const server = https.createServer({ key: tls.key, cert: tls.cert }, async (req, res) => {
    const host = req.headers.host ?? '';
    const body = await readBody(req);
    const json = (status: number, value: string) => res.writeHead(status, { 'content-type': 'application/json' }).end(value);

    if (req.method === 'POST' && /token$/.test(req.url ?? '')) {
      const form = new URLSearchParams(body);
      const claims = form.get('grant_type') === 'urn:ietf:params:oauth:grant-type:jwt-bearer' ? verifyJwt(form.get('assertion') ?? '', publicKey) : undefined;
      if (revoked || !claims || claims.iss !== clientEmail || Number(claims.exp) * 1000 < Date.now()) {
        return json(400, JSON.stringify({ error: 'invalid_grant', error_description: 'Invalid JWT Signature.' }));
      }
      tokenRequests.push({ host, iss: String(claims.iss), scope: String(claims.scope) });
      const accessToken = `ya29.${randomBytes(24).toString('base64url')}`;
      accessTokens.add(accessToken);
      return json(200, JSON.stringify({ access_token: accessToken, expires_in: 3599, token_type: 'Bearer' }));
    }

    const send = /^\/v1\/projects\/([^/]+)\/messages:send$/.exec(req.url ?? '');
    if (req.method === 'POST' && send) {
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!bearer || !accessTokens.has(bearer)) {
        return json(401, JSON.stringify({ error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } }));
      }
      const request = JSON.parse(body) as { message: FcmMessage['message'] };
      const token = request.message.token;
      if (token.startsWith('silent')) return; // never answers
      if (token.startsWith('unregistered')) return json(404, fcmError(404, 'NOT_FOUND', 'UNREGISTERED', 'Requested entity was not found.'));
      if (token.startsWith('unavailable')) return json(503, fcmError(503, 'UNAVAILABLE', 'UNAVAILABLE', 'The service is currently unavailable.'));
      if (send[1] !== projectId) return json(403, fcmError(403, 'PERMISSION_DENIED', 'SENDER_ID_MISMATCH', 'SenderId mismatch'));
      sent.push({ host, project: send[1]!, message: request.message });
      return json(200, JSON.stringify({ name: `projects/${send[1]}/messages/0:${Date.now()}%${sent.length}` }));
    }
    json(404, JSON.stringify({ error: { code: 404, message: 'not here', status: 'NOT_FOUND' } }));
  });
  // The SDK retries in the background after a send was given up on: close drops everything.
  const closeServer = closerFor(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy = await startConnectProxy({ port: (server.address() as AddressInfo).port });

  return {
    serviceAccountFile,
    projectId,
    caFile: tls.caFile,
    proxyUrl: proxy.url,
    tunnels: proxy.targets,
    tokenRequests,
    sent,
    revokeKey: () => {
      revoked = true;
    },
    async close() {
      await proxy.close();
      await closeServer();
    },
  };
}
