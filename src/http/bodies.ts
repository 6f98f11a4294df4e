// How the HTTP front reads request bodies: a form or a JSON object, nothing else, each parsed
// so that nothing in it is taken silently. A form whose body is JSON (a client that forgot its
// Content-Type) would otherwise become one parameter *named* after the whole JSON text, PIN
// included; a JSON object with a key twice would have the last one win where a form or a
// query string with a parameter twice is refused. Both get 400, and neither the body nor a
// name from it reaches a log line.
import { parse as parseQueryString } from 'node:querystring';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { HttpRequestError } from './errors.js';

/** A body that starts as JSON does (after blanks): an object or an array. */
const JSON_START = /^\s*[{[]/;

export function registerBodyParsers(app: FastifyInstance, bodyLimit: number): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit }, (_request, body, done) => {
    try {
      done(null, parseForm(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (_request, body, done) => {
    try {
      done(null, parseJsonObject(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}

/** name=value&...; a name given twice becomes an array, which readParameters refuses by name. */
export function parseForm(body: string): Record<string, string | string[]> {
  if (JSON_START.test(body)) {
    throw new HttpRequestError('the body is JSON but the Content-Type is not application/json: send it as application/json, or as a form');
  }
  // Node's parser: `+` is a space, %XX is decoded, a bad escape stays as it is; no key limit
  // is needed below the body limit (16 KiB cannot hold more than 8 192 pairs).
  return { ...parseQueryString(body, '&', '=', { maxKeys: 0 }) } as Record<string, string | string[]>;
}

/**
 * A JSON object; refused: anything that is not JSON, a key given twice at any depth (as
 * privacyIDEA's forms are refused), and `__proto__` or `constructor` keys (as fastify's own
 * parser refuses them). JSON.parse validates; the scan after it only looks for keys.
 */
export function parseJsonObject(body: string): unknown {
  if (body.trim() === '') throw new HttpRequestError('the body is not a JSON object');
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new HttpRequestError('the body is not a JSON object');
  }
  const duplicate = firstDuplicateKey(body);
  if (duplicate !== undefined) throw new HttpRequestError(`parameter '${shown(duplicate)}' is given more than once`);
  if (/"(?:__proto__|constructor)"\s*:/.test(body) && hasForbiddenKey(value)) throw new HttpRequestError('the body is not a JSON object');
  return value;
}

/** A key as a message may show it: only when it looks like a parameter name. */
function shown(key: string): string {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(key) ? key : '(a name that is not a parameter)';
}

function hasForbiddenKey(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(hasForbiddenKey);
  return Object.keys(value).some((k) => k === '__proto__' || k === 'constructor' || hasForbiddenKey((value as Record<string, unknown>)[k]));
}

/**
 * The first key that appears twice in one object of `text`, which must be valid JSON. A small
 * scanner instead of a dependency: JSON.parse (and fastify's secure-json-parse) keeps the last
 * value without a word, and a reviver cannot see the keys it overwrote. Keys compare after
 * unescaping ("a" and "\u0061" are the same key).
 */
export function firstDuplicateKey(text: string): string | undefined {
  // One entry per open container: the keys of an object, or null for an array.
  const open: Array<Set<string> | null> = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const top = open.at(-1);
      if (expectKey && top) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.has(key)) return key;
        top.add(key);
        expectKey = false;
      }
      i = end;
    } else if (c === '{') {
      open.push(new Set());
      expectKey = true;
    } else if (c === '[') {
      open.push(null);
      expectKey = false;
    } else if (c === '}' || c === ']') {
      open.pop();
      expectKey = false;
    } else if (c === ',') {
      expectKey = open.at(-1) instanceof Set;
    }
  }
  return undefined;
}

/** Beyond this much unread body, the connection is closed rather than read to its end. */
const DRAIN_LIMIT = 16 * 1024 * 1024;

/**
 * Waits until the rest of a request body nobody will read has arrived, discarded, before the
 * answer goes out. A client that sends its whole body before it reads (Python's urllib, which
 * also asks for Connection: close) otherwise meets a socket closed with unread data, a TCP
 * reset, and sees EPIPE instead of the answer. Bounded by DRAIN_LIMIT and by the server's
 * request timeout, which ends a request whose body does not arrive in time.
 */
export function drainUnreadBody(raw: IncomingMessage): Promise<void> {
  if (raw.complete || raw.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let seen = 0;
    const done = () => {
      raw.off('data', onData);
      raw.off('end', done);
      raw.off('close', done);
      raw.off('error', done);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > DRAIN_LIMIT) done();
    };
    raw.on('data', onData);
    raw.once('end', done);
    raw.once('close', done);
    raw.once('error', done);
    raw.resume();
  });
}
