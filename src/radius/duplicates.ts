// Retransmission handling (RFC 5080 §2.2.2). A request is a duplicate when the same client
// address and port send the same Identifier and Request Authenticator again. While the
// first is still being worked on, the duplicate is dropped; afterwards it gets the cached
// reply byte for byte, so a NAS that retransmits never triggers a second SMS.
//
// One slot per (address, port, Identifier), as in FreeRADIUS: a NAS that reuses an
// Identifier with a new authenticator has given up on the old request, so the new one takes
// the slot. Memory is bounded by the NAS ports in use, not by the request rate.

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
  // Insertion order is expiry order (one lifetime for all), so expired slots sit at the front.
  private readonly slots = new Map<string, Slot>();

  constructor(
    private readonly lifetimeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Looks the request up; a new one takes its slot as pending. */
  check(address: string, port: number, identifier: number, authenticator: Buffer): DuplicateCheck {
    this.evict();
    const key = `${address}|${port}|${identifier}`;
    const auth = authenticator.toString('latin1');
    const slot = this.slots.get(key);
    if (slot && slot.authenticator === auth && slot.expires > this.now()) {
      return slot.state === 'pending' ? { kind: 'in_progress' } : { kind: 'answered', reply: slot.reply };
    }
    const fresh: Slot = { authenticator: auth, state: 'pending', reply: undefined, expires: this.now() + this.lifetimeMs };
    this.slots.delete(key);
    this.slots.set(key, fresh);
    return { kind: 'new', ticket: { key, slot: fresh } };
  }

  /** Records the reply sent (undefined: the request was deliberately left unanswered). */
  complete(ticket: DuplicateTicket, reply: Buffer | undefined): void {
    if (this.slots.get(ticket.key) !== ticket.slot) return; // a newer request took the slot
    ticket.slot.state = 'done';
    ticket.slot.reply = reply;
    ticket.slot.expires = this.now() + this.lifetimeMs;
    // Moved to the end: the insertion order stays the expiry order.
    this.slots.delete(ticket.key);
    this.slots.set(ticket.key, ticket.slot);
  }

  /** Forgets a request whose processing failed or was shed, so a retransmission is tried again. */
  forget(ticket: DuplicateTicket): void {
    if (this.slots.get(ticket.key) === ticket.slot) this.slots.delete(ticket.key);
  }

  get size(): number {
    return this.slots.size;
  }

  private evict(): void {
    const now = this.now();
    for (const [key, slot] of this.slots) {
      if (slot.expires > now && this.slots.size < MAX_SLOTS) break;
      // A pending slot past its lifetime belongs to a request that is stuck; let a retry in.
      this.slots.delete(key);
    }
  }
}
