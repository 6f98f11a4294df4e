// Run as root, a command works as the owner of the embedded store's directory: the Debian
// package's service user sms-otp-radiusd, who owns /var/lib/sms-otp-radiusd (mode 0700). So a
// store, its -wal/-shm files and a key file that a root shell creates or migrates keep the
// daemon's owner, and the daemon can still open them. A store whose directory root owns (a
// checkout, the tests) stays root's; PostgreSQL has no files here.
import { statSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { DatabaseConfig } from '../config/schema.js';

/** The POSIX credential calls of Node's process (absent on Windows; @types/node lacks initgroups). */
interface PosixCredentials {
  getuid(): number;
  initgroups(user: number, extraGroup: number): void;
  setgroups(groups: number[]): void;
  setgid(id: number): void;
  setuid(id: number): void;
}

/**
 * Switches this process to the store directory's owner when root runs it; returns that
 * uid, or undefined when nothing changed. Called after the configuration (and the secrets it
 * names, readable by root only) is read, before the store or the key file is touched.
 */
export function actAsStoreOwner(database: DatabaseConfig): number | undefined {
  const posix = process as Partial<PosixCredentials>;
  if (!posix.getuid || !posix.initgroups || !posix.setgroups || !posix.setgid || !posix.setuid) return undefined;
  if (posix.getuid() !== 0 || database.client !== 'sqlite' || database.filename === ':memory:') return undefined;
  let dir: Stats;
  try {
    dir = statSync(path.dirname(database.filename));
  } catch {
    return undefined; // a missing directory: the store's own check names it
  }
  if (dir.uid === 0) return undefined;
  try {
    // The owner's groups from /etc/group (dialout for a modem gateway), as a login would have.
    posix.initgroups(dir.uid, dir.gid);
  } catch {
    posix.setgroups([dir.gid]); // an owner without a passwd entry: its group only
  }
  posix.setgid(dir.gid);
  posix.setuid(dir.uid);
  return dir.uid;
}
