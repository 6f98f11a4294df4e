// Every metric of the daemon in one Registry of its own (not prom-client's global one, so
// that nothing else in the process can add to or reset it). The fronts and the core feed it
// through narrow views: the core's events port, the RADIUS front's counters, the PIN queue;
// none of them imports prom-client.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { EventSink } from '../core/ports.js';
import type { RadiusStats } from '../radius/stats.js';
import { VERSION } from '../version.js';
import { LoginMetrics } from './login-metrics.js';
import { registerPinQueueMetrics, type PinQueueView } from './pin-queue-metrics.js';
import { registerRadiusMetrics } from './radius-metrics.js';
import { registerAccountingMetrics } from './accounting-metrics.js';
import { StoreMetrics, type StoreMetricsOptions } from './store-metrics.js';

export const METRICS_PREFIX = 'sms_otp_';

export interface DaemonMetricsSources {
  readonly radius: RadiusStats;
  readonly pinQueue: PinQueueView;
  readonly store: StoreMetricsOptions;
  /** The module of a gateway identifier (a label of the SMS metrics). */
  readonly gatewayModule: (gateway: string) => string | undefined;
  /** True while the key file on disk holds the key in use (src/main/key-file-watch.ts). */
  readonly keyFileOk?: () => boolean;
}

export class DaemonMetrics {
  readonly registry = new Registry();
  /** The login core's events port feeds this. */
  readonly events: EventSink;
  readonly store: StoreMetrics;
  private readonly httpRequests: Counter<'endpoint' | 'status'>;

  constructor(sources: DaemonMetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: METRICS_PREFIX });
    new Gauge({ name: 'sms_otp_build_info', help: 'The running version (always 1)', labelNames: ['version'], registers }).set({ version: VERSION }, 1);
    this.events = new LoginMetrics(this.registry, sources.gatewayModule);
    registerRadiusMetrics(this.registry, sources.radius);
    registerAccountingMetrics(this.registry, sources.radius);
    registerPinQueueMetrics(this.registry, sources.pinQueue);
    this.store = new StoreMetrics(this.registry, sources.store);
    const keyFileOk = sources.keyFileOk;
    if (keyFileOk) {
      new Gauge({
        name: 'sms_otp_key_file_ok',
        help: '1 while the key file on disk holds the key in use; 0 when it is gone, unreadable or another key (the next start would fail)',
        registers,
        collect() {
          this.set(keyFileOk() ? 1 : 0);
        },
      });
    }
    this.httpRequests = new Counter({
      name: 'sms_otp_http_requests_total',
      help: 'Requests of the HTTP front by route and HTTP status',
      labelNames: ['endpoint', 'status'],
      registers,
    });
  }

  /**
   * The HTTP front's hook: one call per request answered. `endpoint` is the route pattern
   * (/validate/check, or `unmatched`), never the raw URL with its query; `status` the HTTP
   * status, so that the label values stay few.
   */
  recordHttpRequest(endpoint: string, status: number): void {
    this.httpRequests.inc({ endpoint, status: String(status) });
  }

  /** The Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
