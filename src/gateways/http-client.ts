// What the HTTP-based providers (http, sipgate) share: connection pools with proxy and TLS
// settings, bounded response reading, and network errors an operator can act on.
import { Agent, ProxyAgent, type Dispatcher } from 'undici';

const MAX_BODY_BYTES = 64 * 1024;

export function createDispatcher(options: { proxy: string | undefined; verifyTls: boolean; timeoutMs: number }): Dispatcher {
  const tls = { rejectUnauthorized: options.verifyTls };
  return options.proxy
    ? new ProxyAgent({ uri: options.proxy, requestTls: tls, proxyTls: tls, connectTimeout: options.timeoutMs })
    : new Agent({ connect: { ...tls, timeout: options.timeoutMs } });
}

/** The response text, at most 64 KiB of it (a gateway's answer is short; a broken one may not be). */
export async function readLimited(body: AsyncIterable<Buffer | Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size < MAX_BODY_BYTES) chunks.push(Buffer.from(chunk));
    size += chunk.length;
  }
  return Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8');
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

/** Connection set-up failures: the request never left, so no gateway has the message. */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT', ...TLS_CODES]);

/** Whether a request failed before it reached the server (see GatewayError.undelivered). */
export function neverConnected(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; current && depth < 4; depth++) {
    const e = current as { code?: string; cause?: unknown };
    if (e.code !== undefined && NEVER_CONNECTED.has(e.code)) return true;
    current = e.cause;
  }
  return false;
}

export function describeNetworkError(err: unknown, timeoutMs: number): string {
  let current: unknown = err;
  for (let depth = 0; current && depth < 4; depth++) {
    const e = current as { name?: string; code?: string; message?: string; cause?: unknown };
    if (e.name === 'TimeoutError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT' ||
        e.code === 'UND_ERR_CONNECT_TIMEOUT') {
      return `no answer within ${timeoutMs / 1000} s (TIMEOUT)`;
    }
    if (e.code && TLS_CODES.has(e.code)) {
      return `TLS certificate not trusted (${e.code}); install the CA or, for testing only, set CHECK_SSL=no`;
    }
    if (e.code === 'ECONNREFUSED') return 'connection refused (ECONNREFUSED)';
    if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return `host name not resolved (${e.code})`;
    if (e.code && /^E[A-Z]+$/.test(e.code)) return e.code;
    if (e.code === 'UND_ERR_SOCKET') return 'connection closed by the gateway';
    current = e.cause;
  }
  const e = err as { code?: string; name?: string };
  return e.code ?? e.name ?? 'unknown error';
}
