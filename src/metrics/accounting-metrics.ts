// Accounting-Requests answered, by client and Acct-Status-Type, copied from the RADIUS front's
// counters at scrape time (its drops are in sms_otp_radius_drops_total with the others).
import { Counter, type Registry } from 'prom-client';
import type { RadiusStats } from '../radius/stats.js';

export function registerAccountingMetrics(registry: Registry, stats: RadiusStats): void {
  const requests: Counter<'client' | 'status_type'> = new Counter({
    name: 'sms_otp_radius_accounting_requests_total',
    help: 'Accounting-Requests answered (the record durable), by client and status type (start, interim, stop, on, off, other)',
    labelNames: ['client', 'status_type'],
    registers: [registry],
    collect() {
      requests.reset();
      for (const [client, counters] of stats.clients) {
        for (const [status, n] of Object.entries(counters.accounting)) if (n) requests.inc({ client, status_type: status }, n);
      }
    },
  });
}
