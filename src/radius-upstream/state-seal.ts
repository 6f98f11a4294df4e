// The State the NAS sees for a challenge of the server a login was forwarded to: that
// server's State and name, with when it expires, sealed (AES-256-GCM) with the site's key
// and bound to the login name. Any node of the site opens it, nothing is stored, and a State
// that was forged, changed, has expired or comes with another User-Name opens to nothing.
import { UPSTREAM_STATE_PREFIX } from '../core/login/forward.js';
import { DecryptionError, type SecretBox } from '../crypto/secretbox.js';

/** The longest value of a RADIUS attribute (RFC 2865 §5). */
const MAX_STATE = 253;
const context = (username: string) => `radius-upstream-state:${username}`;

export class UpstreamStateSeal {
  constructor(private readonly box: SecretBox) {}

  /** Undefined when the result would not fit in a State attribute. */
  seal(server: string, upstreamState: Buffer, username: string, expiresAt: number): string | undefined {
    const name = Buffer.from(server, 'utf8');
    const header = Buffer.alloc(5);
    header.writeUInt32BE(Math.ceil(expiresAt / 1000));
    header[4] = name.length;
    const state = `${UPSTREAM_STATE_PREFIX}${this.box.seal(Buffer.concat([header, name, upstreamState]), context(username))}`;
    return Buffer.byteLength(state, 'latin1') <= MAX_STATE ? state : undefined;
  }

  open(state: string, username: string, now: number): { server: string; state: Buffer } | undefined {
    if (!state.startsWith(UPSTREAM_STATE_PREFIX)) return undefined;
    const sealed = state.slice(UPSTREAM_STATE_PREFIX.length);
    // Only the form seal() writes: base64 decodes leniently, and one State has one spelling.
    const payload = sealed.slice(sealed.indexOf(':') + 1);
    if (Buffer.from(payload, 'base64').toString('base64') !== payload) return undefined;
    let plain: Buffer;
    try {
      plain = this.box.open(sealed, context(username));
    } catch (err) {
      if (err instanceof DecryptionError) return undefined;
      throw err;
    }
    if (plain.length < 5 || plain.readUInt32BE(0) * 1000 < now) return undefined;
    const nameLength = plain[4]!;
    if (plain.length < 5 + nameLength) return undefined;
    return { server: plain.subarray(5, 5 + nameLength).toString('utf8'), state: plain.subarray(5 + nameLength) };
  }
}
