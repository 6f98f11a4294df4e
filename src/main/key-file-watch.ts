// The key file under a running daemon. The daemon read it at start and keeps the keys in
// memory, so logins go on whatever happens to the file; but a daemon started without it
// refuses to start (a store sealed with a key needs that key), and one started with another
// file cannot open the stored secrets. So a deleted, moved or replaced key file is a restart
// waiting to fail: it is logged as an error once (and when it is back), shown by the
// sms_otp_key_file_ok metric, and made a FAIL by `check`. It does not take the node out of
// service (Status-Server, /readyz): the node serves correctly, and failing it over would move
// its load onto nodes that may share the same fate.
import { statSync } from 'node:fs';
import type { Logger } from 'pino';
import { readKeyFile, type Keys } from '../crypto/keyfile.js';

const CHECK_MS = 5_000;

type KeyFileState = 'ok' | 'gone' | 'other' | 'unreadable';

export class KeyFileWatch {
  private state: KeyFileState = 'ok';
  private seen: string | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly file: string,
    private readonly keys: Keys,
    private readonly log: Logger,
  ) {}

  /** Looks every 5 s (a stat; the file is read again only when the stat changed). */
  start(): void {
    this.seen = this.fingerprint();
    this.timer = setInterval(() => this.check(), CHECK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** True while the file holds the key the daemon uses. */
  ok(): boolean {
    return this.state === 'ok';
  }

  /** Looks now (also at a reload). */
  check(): void {
    const fingerprint = this.fingerprint();
    if (fingerprint !== undefined && fingerprint === this.seen && this.state !== 'gone') return;
    this.seen = fingerprint;
    this.become(this.stateNow(fingerprint));
  }

  private stateNow(fingerprint: string | undefined): KeyFileState {
    if (fingerprint === undefined) return 'gone';
    try {
      const read = readKeyFile(this.file);
      if (!read) return 'gone';
      return read.keys.encryption.equals(this.keys.encryption) ? 'ok' : 'other';
    } catch {
      return 'unreadable';
    }
  }

  private become(next: KeyFileState): void {
    if (next === this.state) return;
    const was = this.state;
    this.state = next;
    const keyfile = this.file;
    const restart = 'logins go on with the key in memory, but the next start will fail';
    if (next === 'gone') this.log.error({ keyfile }, `the key file is gone (deleted or moved) while running: ${restart}; restore it from backup or copy it from another node`);
    else if (next === 'other') this.log.error({ keyfile }, `the key file now holds another key than the one in use: ${restart} to open the stored secrets; restore the right one`);
    else if (next === 'unreadable') this.log.error({ keyfile }, `the key file cannot be read any more: ${restart}; check its owner, mode and contents`);
    else if (was !== 'ok') this.log.info({ keyfile }, 'the key file holds the key in use again');
  }

  /** Inode, size, modification and change times: they move when the file is replaced, rewritten, chmod-ed or chown-ed. */
  private fingerprint(): string | undefined {
    try {
      const s = statSync(this.file);
      return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
    } catch {
      return undefined;
    }
  }
}
