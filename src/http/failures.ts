// What a failed HTTP request is answered with: the status, privacyIDEA's error number, our
// stable code and a message for the client. Never a stack or an internal detail: what the
// operator needs goes to the log.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger, FastifyError } from 'fastify';
import { ERRORS, SmsOtpError, type ErrorCode } from '../core/errors.js';
import { errorResponse } from './responses.js';

/** The RADIUS front's failmode closed answer, in the same words. */
const UNAVAILABLE = 'The authentication service is unavailable, try again later';

export interface Failure {
  readonly status: number;
  readonly piCode: number;
  readonly code: ErrorCode;
  readonly message: string;
}

/** `bodyLimit`: the listener's, named when a body is over it. */
export function describeFailure(err: FastifyError, log: FastifyBaseLogger, bodyLimit: number): Failure {
  if (err instanceof SmsOtpError) {
    // Our own codes answer as their catalogue row says; an `internal` one is answered as ERR_INTERNAL below.
    const spec = err.spec;
    if (spec.http !== 'internal') {
      if (spec.logged) log.error({ reason: err.message }, 'request failed');
      return { status: spec.http, piCode: spec.pi, code: err.code, message: spec.unavailable ? UNAVAILABLE : parameterMessage(err.message) };
    }
  } else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return answer('ERR_BODY_TOO_LARGE', `the request body is larger than ${bodyLimit} bytes`);
  } else if ((err.statusCode ?? 500) >= 400 && (err.statusCode ?? 500) < 500) {
    // fastify's own refusals (not JSON, unknown content type): a bad request, said plainly.
    return answer('ERR_BAD_REQUEST', clientErrorMessage(err));
  }
  log.error({ err }, 'request failed');
  return answer('ERR_INTERNAL', 'internal error');
}

/** A failure of the front's own, answered as its catalogue row says. */
function answer(code: 'ERR_BODY_TOO_LARGE' | 'ERR_BAD_REQUEST' | 'ERR_INTERNAL', message: string): Failure {
  const spec = ERRORS[code];
  return { status: spec.http, piCode: spec.pi, code, message };
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
  const body = JSON.stringify(errorResponse({ piCode: ERRORS.ERR_BAD_REQUEST.pi, code: 'ERR_BAD_REQUEST', message }, now));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
