// Retransmission handling (RFC 5080 §2.2.2). A request is a duplicate when the same client
// address and port send the same Identifier and Request Authenticator again. While the
// first is still being worked on, the duplicate is dropped; afterwards it gets the cached
// reply byte for byte, so a NAS that retransmits never triggers a second SMS.
//
// One slot per (address, port, Identifier), as in FreeRADIUS: a NAS that reuses an
// Identifier with a new authenticator has given up on the old request, so the new one takes
// the slot. Memory is bounded by the NAS ports in use, not by the request rate.
//
// A request being worked on is never forgotten because it takes long (an SMS gateway that
// answers after a minute): it stays pending until it is answered or given up on (complete or
// forget), so a retransmission can never start the work, and the SMS, a second time.

interface Slot {
  /** The Request Authenticator, as a 16-character latin1 string (not a view that would keep the datagram alive). */
  readonly authenticator: string;
  state: 'pending' | 'done';
  reply: Buffer | undefined;
  expires: number;
}

/** What a check hands back for a new request: give it to complete() or forget(). */
export type DuplicateTicket = { readonly key: string; readonly slot: Slot };

export type DuplicateCheck =
  | { kind: 'new'; ticket: DuplicateTicket }
  | { kind: 'in_progress' }
  | { kind: 'answered'; reply: Buffer | undefined };

/** Slots kept at most (NASes that send every request from a new source port fill it). */
const MAX_SLOTS = 100_000;

export class DuplicateCache {
  // Answered requests. Insertion order is expiry order (one lifetime for all), so expired
  // slots sit at the front.
  private readonly slots = new Map<string, Slot>();
  // Requests being worked on: no expiry, bounded by the requests in flight.
  private readonly pending = new Map<string, Slot>();

  constructor(
    private readonly lifetimeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Looks the request up; a new one takes its slot as pending. */
  check(address: string, port: number, identifier: number, authenticator: Buffer): DuplicateCheck {
    this.evict();
    const key = `${address}|${port}|${identifier}`;
    const auth = authenticator.toString('latin1');
    const working = this.pending.get(key);
    if (working?.authenticator === auth) return { kind: 'in_progress' };
    const slot = this.slots.get(key);
    if (slot && slot.authenticator === auth && slot.expires > this.now()) return { kind: 'answered', reply: slot.reply };
    // A new authenticator on the slot: the NAS gave up on the old request, whose answer
    // (when it comes) is no longer cached; its work is not undone.
    const fresh: Slot = { authenticator: auth, state: 'pending', reply: undefined, expires: Number.POSITIVE_INFINITY };
    this.slots.delete(key);
    this.pending.set(key, fresh);
    return { kind: 'new', ticket: { key, slot: fresh } };
  }

  /** Records the reply sent (undefined: the request was deliberately left unanswered). */
  complete(ticket: DuplicateTicket, reply: Buffer | undefined): void {
    if (this.pending.get(ticket.key) !== ticket.slot) return; // a newer request took the slot
    this.pending.delete(ticket.key);
    ticket.slot.state = 'done';
    ticket.slot.reply = reply;
    ticket.slot.expires = this.now() + this.lifetimeMs;
    // At the end: the insertion order stays the expiry order.
    this.slots.set(ticket.key, ticket.slot);
  }

  /** Forgets a request whose processing failed or was shed, so a retransmission is tried again. */
  forget(ticket: DuplicateTicket): void {
    if (this.pending.get(ticket.key) === ticket.slot) this.pending.delete(ticket.key);
  }

  /** @internal Slots held; the tests check that it stays bounded however many requests pass. */
  get size(): number {
    return this.slots.size + this.pending.size;
  }

  private evict(): void {
    const now = this.now();
    for (const [key, slot] of this.slots) {
      if (slot.expires > now && this.slots.size < MAX_SLOTS) break;
      this.slots.delete(key);
    }
  }
}
