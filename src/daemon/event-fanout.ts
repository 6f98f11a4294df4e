// The login core emits to one sink; the daemon has several subscribers (the log, the
// notifications). A subscriber that throws does not keep the event from the others, nor
// from the login that emitted it.
import type { AuthEvent, EventSink } from '../core/ports.js';

export class EventFanOut implements EventSink {
  constructor(
    private readonly sinks: readonly EventSink[],
    private readonly onError: (err: unknown) => void,
  ) {}

  emit(event: AuthEvent): void {
    for (const sink of this.sinks) {
      try {
        sink.emit(event);
      } catch (err) {
        this.onError(err);
      }
    }
  }
}
