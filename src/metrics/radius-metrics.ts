// The RADIUS front's own counters (src/radius/stats.ts), copied into metrics at scrape time:
// the front keeps counting plain numbers on its hot path and knows nothing of prom-client.
import { Counter, type Registry } from 'prom-client';
import type { ClientCounters, RadiusStats } from '../radius/stats.js';

/** Every datagram of a known client ends in exactly one of these (retransmissions aside). */
const OUTCOMES: ReadonlyArray<[string, (c: ClientCounters) => number]> = [
  ['accept', (c) => c.accepts],
  ['reject', (c) => c.rejects],
  ['challenge', (c) => c.challenges],
  ['dropped', (c) => Object.values(c.dropped).reduce((sum, n) => sum + (n ?? 0), 0)],
  ['shed', (c) => c.shed],
  ['error', (c) => c.errors],
  ['status_server', (c) => c.statusServer],
];

export function registerRadiusMetrics(registry: Registry, stats: RadiusStats): void {
  const registers = [registry];
  const requests: Counter<'client' | 'outcome'> = new Counter({
    name: 'sms_otp_radius_requests_total',
    help: 'RADIUS requests by client and outcome (accept, reject, challenge, dropped, shed, error, status_server: answered); retransmissions are counted apart',
    labelNames: ['client', 'outcome'],
    registers,
    collect() {
      requests.reset();
      for (const [client, counters] of stats.clients) {
        for (const [outcome, count] of OUTCOMES) {
          const n = count(counters);
          if (n > 0) requests.inc({ client, outcome }, n);
        }
      }
    },
  });
  const drops: Counter<'client' | 'reason'> = new Counter({
    name: 'sms_otp_radius_drops_total',
    help: 'RADIUS datagrams dropped unanswered, by client and reason (unknown_client under client "(unknown)"; each also logged, see src/radius/drops.ts)',
    labelNames: ['client', 'reason'],
    registers,
    collect() {
      drops.reset();
      for (const [client, counters] of stats.clients) {
        for (const [reason, n] of Object.entries(counters.dropped)) if (n) drops.inc({ client, reason }, n);
      }
    },
  });
  const duplicates: Counter<'client'> = new Counter({
    name: 'sms_otp_radius_duplicates_total',
    help: 'RADIUS retransmissions: answered from the reply cache, or ignored while the first copy was in progress',
    labelNames: ['client'],
    registers,
    collect() {
      duplicates.reset();
      for (const [client, counters] of stats.clients) if (counters.duplicates) duplicates.inc({ client }, counters.duplicates);
    },
  });
  const refused: Counter<'client' | 'reason'> = new Counter({
    name: 'sms_otp_radius_refused_total',
    help: 'Of the rejects: those refused before any credential was checked (chap, mschap, mschapv2, eap, no_password, empty_password, bad_user_name, bad_static_challenge)',
    labelNames: ['client', 'reason'],
    registers,
    collect() {
      refused.reset();
      for (const [client, counters] of stats.clients) {
        for (const [reason, n] of Object.entries(counters.refused)) if (n) refused.inc({ client, reason }, n);
      }
    },
  });
}
