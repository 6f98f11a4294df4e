// GET /session/: the accounting sessions (not a privacyIDEA endpoint; privacyIDEA keeps no
// accounting), filtered as `session list` filters them and paged as /audit/ is.
import type { FastifyInstance } from 'fastify';
import type { SessionAdmin } from '../../app/sessions.js';
import { HttpRequestError } from '../errors.js';
import { adminResponse } from '../responses.js';
import { optional, pageRequest, parametersOf } from './requests.js';

export interface SessionRoutesOptions {
  readonly sessions: SessionAdmin;
  readonly now: () => number;
}

const YES = new Set(['1', 'true', 'yes']);
const NO = new Set(['0', 'false', 'no']);

export function sessionRoutes(app: FastifyInstance, o: SessionRoutesOptions): void {
  app.get('/session/', async (request) => {
    const params = parametersOf(request);
    const open = optional(params, 'open')?.toLowerCase();
    if (open !== undefined && !YES.has(open) && !NO.has(open)) throw new HttpRequestError(`parameter 'open' takes 1 or 0, not '${open}'`);
    const user = optional(params, 'user');
    const client = optional(params, 'client');
    const filter = {
      ...(user === undefined ? {} : { username: user }),
      ...(client === undefined ? {} : { client }),
      ...(open !== undefined && YES.has(open) ? { openOnly: true } : {}),
    };
    const { page, pageSize } = pageRequest(params, ['page_size', 'pagesize']);
    const found = await o.sessions.page(filter, page, pageSize);
    return adminResponse({ sessions: found.items, count: found.count, current: found.current, next: found.next, prev: found.prev }, null, o.now());
  });
}
