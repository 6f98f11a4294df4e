// privacyIDEA's /audit/: the trail, newest first, filtered as `audit list` filters it (the
// same parsing, src/app/audit.ts) and paged as privacyIDEA pages it.
import type { FastifyInstance } from 'fastify';
import { parseAuditFilter, type AuditAdmin } from '../../app/audit.js';
import { adminResponse } from '../responses.js';
import { optional, pageRequest, parametersOf } from './requests.js';

export interface AuditRoutesOptions {
  readonly audit: AuditAdmin;
  readonly now: () => number;
}

export function auditRoutes(app: FastifyInstance, o: AuditRoutesOptions): void {
  app.get('/audit/', async (request) => {
    const params = parametersOf(request);
    const filter = parseAuditFilter(
      { user: optional(params, 'user'), realm: optional(params, 'realm'), client: optional(params, 'client'), action: optional(params, 'action'), since: optional(params, 'since') },
      o.now(),
      (name) => `parameter '${name}'`,
    );
    // privacyIDEA's /audit/ says page_size (its /token/ says pagesize): both are taken.
    const { page, pageSize } = pageRequest(params, ['page_size', 'pagesize']);
    const found = await o.audit.page(filter, page, pageSize);
    return adminResponse({ auditdata: found.items, count: found.count, current: found.current, next: found.next, prev: found.prev }, null, o.now());
  });
}
