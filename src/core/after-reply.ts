// Work that follows a reply (an SMS sent after an accept, a late send's audit row, a
// notification): it starts once the current turn of the event loop has ended, so the
// caller's reply leaves first, and it is followed so that a clean stop can wait for it.

export class AfterReply {
  private readonly running = new Set<Promise<void>>();

  /** Runs `work` after the current turn; a failure goes to `onError`, never to the caller. */
  run(work: () => Promise<void>, onError: (err: unknown) => void): void {
    const running = (async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      await work();
    })()
      .catch(onError)
      .finally(() => this.running.delete(running));
    this.running.add(running);
  }

  /** Resolves when the work run so far, and what it ran in turn, has ended. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}
