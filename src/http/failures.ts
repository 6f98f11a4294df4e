// What a failed HTTP request is answered with: the status, privacyIDEA's error number, our
// stable code and a message for the client. Never a stack or an internal detail: what the
// operator needs goes to the log.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger, FastifyError } from 'fastify';
import { DirectoryUnavailable, RequestShed, StoreUnavailable } from '../core/errors.js';
import { NotFoundError, RefusedError, SmsOtpError } from '../errors.js';
import { GatewayError } from '../gateways/provider.js';
import { HttpBodyTooLargeError, HttpFrontError, HttpRequestError, PI_ERROR } from './errors.js';
import { errorResponse } from './responses.js';

/** The RADIUS front's failmode closed answer, in the same words. */
const UNAVAILABLE = 'The authentication service is unavailable, try again later';

export interface Failure {
  readonly status: number;
  readonly piCode: number;
  readonly code: string;
  readonly message: string;
}

/** `bodyLimit`: the listener's, named when a body is over it. */
export function describeFailure(err: FastifyError, log: FastifyBaseLogger, bodyLimit: number): Failure {
  if (err instanceof HttpFrontError) return { status: err.status, piCode: err.piCode, code: err.code, message: err.message };
  // The application layer's refusals (the admin API shares it with the CLI): what was named
  // does not exist, or a value or change is wrong. The code stays the layer's own.
  if (err instanceof NotFoundError) return { status: 404, piCode: PI_ERROR.resourceNotFound, code: err.code, message: parameterMessage(err.message) };
  if (isBadRequest(err)) return { status: 400, piCode: PI_ERROR.parameter, code: err.code, message: parameterMessage(err.message) };
  // Shed: nobody waits any more, or the daemon is overloaded or stopping (counted by the PIN queue).
  if (err instanceof RequestShed) return { status: 503, piCode: PI_ERROR.server, code: err.code, message: UNAVAILABLE };
  if (err instanceof StoreUnavailable || err instanceof DirectoryUnavailable) {
    log.error({ reason: err.message }, 'request failed');
    return { status: 503, piCode: PI_ERROR.server, code: err.code, message: UNAVAILABLE };
  }
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    const tooLarge = new HttpBodyTooLargeError(`the request body is larger than ${bodyLimit} bytes`);
    return { status: tooLarge.status, piCode: tooLarge.piCode, code: tooLarge.code, message: tooLarge.message };
  }
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    // fastify's own refusals (body too large, not JSON, unknown content type): a bad request, said plainly.
    const refused = new HttpRequestError(clientErrorMessage(err));
    return { status: 400, piCode: refused.piCode, code: refused.code, message: refused.message };
  }
  log.error({ err }, 'request failed');
  return { status: 500, piCode: PI_ERROR.server, code: 'ERR_INTERNAL', message: 'internal error' };
}

/** A usage mistake (the CLI's exit status 2), a change the store's contents refuse, or a gateway definition that could never send. */
function isBadRequest(err: unknown): err is SmsOtpError {
  return err instanceof SmsOtpError && err.expected && (err.exitStatus === 2 || err instanceof RefusedError || err instanceof GatewayError);
}

/**
 * The shared layer's messages start with the CLI option they are about (`--pin must not be
 * empty`); over HTTP that is the parameter of the same name (`pin must not be empty`).
 */
function parameterMessage(message: string): string {
  return message.replace(/^--([a-z][a-z-]*)/, (_whole, option: string) => option.replace(/-/g, '_'));
}

function clientErrorMessage(err: FastifyError): string {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'send the parameters as application/x-www-form-urlencoded or application/json';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'the body is not a JSON object';
    default:
      return err.statusCode === 400 && /JSON/i.test(err.message) ? 'the body is not a JSON object' : 'the request is malformed';
  }
}

/**
 * A request Node's parser refused before any route saw it (not HTTP, headers too large, or
 * not all there within the request timeout): privacyIDEA's error shape, as fastify's own
 * answer would be in its, then the connection is closed.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex, now: number, requestTimeoutMs: number): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, `the request did not arrive within ${requestTimeoutMs / 1000} s`]
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'the request headers are too large']
        : [400, 'the request is malformed'];
  const refused = new HttpRequestError(message);
  const body = JSON.stringify(errorResponse({ piCode: refused.piCode, code: refused.code, message }, now));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
