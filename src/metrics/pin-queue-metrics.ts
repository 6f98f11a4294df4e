// The PIN-check queue (src/crypto/pin-check-queue.ts) read at scrape time: how many checks
// wait, and how many were shed and why. A growing queue is the first sign of a PIN flood.
import { Counter, Gauge, type Registry } from 'prom-client';

export interface PinQueueView {
  readonly waiting: number;
  readonly shed: Readonly<Record<'deadline' | 'overload' | 'shutdown', number>>;
}

export function registerPinQueueMetrics(registry: Registry, queue: PinQueueView): void {
  const registers = [registry];
  new Gauge({
    name: 'sms_otp_pin_check_queue_depth',
    help: 'PIN checks waiting for a hashing slot',
    registers,
    collect() {
      this.set(queue.waiting);
    },
  });
  const shed: Counter<'reason'> = new Counter({
    name: 'sms_otp_pin_check_shed_total',
    help: 'PIN checks dropped before they were computed: past their deadline, over the queue bound, or at shutdown',
    labelNames: ['reason'],
    registers,
    collect() {
      shed.reset();
      for (const [reason, n] of Object.entries(queue.shed)) shed.inc({ reason }, n);
    },
  });
}
