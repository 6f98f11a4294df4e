// The core has one events port; the daemon has several listeners (the log, the metrics, the
// notifications). A listener that throws must not break a login or starve the others.
import type { AuthEvent, EventSink } from '../core/ports.js';

export class EventFanout implements EventSink {
  constructor(
    private readonly sinks: readonly EventSink[],
    private readonly onSinkError: (err: unknown) => void,
  ) {}

  emit(event: AuthEvent): void {
    for (const sink of this.sinks) {
      try {
        sink.emit(event);
      } catch (err) {
        this.onSinkError(err);
      }
    }
  }
}
