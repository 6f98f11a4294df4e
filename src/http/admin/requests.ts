// What the admin endpoints read from a request, beyond privacyIDEA's parameters themselves
// (src/http/parameters.ts): a parameter that must be there, the page asked for, and a name
// given in the path or, as privacyIDEA also takes it, as a parameter.
import type { FastifyRequest } from 'fastify';
import { HttpRequestError } from '../errors.js';
import { readParameters, type Parameters } from '../parameters.js';

export function parametersOf(request: FastifyRequest): Parameters {
  return readParameters(request.query, request.body);
}

/** A parameter's value; an empty one counts as not given (a form field left blank). */
export function optional(params: Parameters, name: string): string | undefined {
  const value = params.get(name);
  return value === undefined || value === '' ? undefined : value;
}

export function required(params: Parameters, name: string): string {
  const value = optional(params, name);
  if (value === undefined) throw new HttpRequestError(`missing parameter: '${name}'`);
  return value;
}

/** privacyIDEA's default page size for /token/ and /audit/. */
const DEFAULT_PAGE_SIZE = 15;
/** A page is read into memory and sent whole: a bound keeps one request from asking for everything. */
export const MAX_PAGE_SIZE = 1000;
const MAX_PAGE = 1_000_000;

/** `page` (from 1) and the page size, under whichever of `sizeNames` the client uses. */
export function pageRequest(params: Parameters, sizeNames: readonly string[]): { page: number; pageSize: number } {
  const whole = (name: string, raw: string | undefined, fallback: number, max: number): number => {
    if (raw === undefined) return fallback;
    if (!/^\d{1,7}$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
      throw new HttpRequestError(`parameter '${name}' takes a whole number from 1 to ${max}, not '${raw}'`);
    }
    return Number(raw);
  };
  const sizeName = sizeNames.find((name) => optional(params, name) !== undefined) ?? sizeNames[0]!;
  return {
    page: whole('page', optional(params, 'page'), 1, MAX_PAGE),
    pageSize: whole(sizeName, optional(params, sizeName), DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
  };
}

/** `/token/enable/<serial>` names it in the path; privacyIDEA also takes `/token/enable` with serial=... */
export function pathOrParameter(request: FastifyRequest, params: Parameters, name: string): string {
  const fromPath = (request.params as Record<string, string | undefined>)[name];
  return fromPath !== undefined && fromPath !== '' ? fromPath : required(params, name);
}
