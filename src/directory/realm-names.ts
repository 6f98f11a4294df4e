// The user directory without a user store: a login name means the whole name, or, where the
// NAS writes a realm into it (user@realm, REALM\user), that user in that realm. Nothing more
// is known of the person (given name and surname stay empty).
import type { DirectoryUser, UserDirectory } from '../core/ports.js';

/** Splits a login name into user and realm; undefined when it names no realm. */
export type RealmSplitter = (name: string) => { username: string; realm: string } | undefined;

/** `user@realm`, split at the last `@`. */
export const splitAtSign: RealmSplitter = (name) => {
  const at = name.lastIndexOf('@');
  return at > 0 && at < name.length - 1 ? { username: name.slice(0, at), realm: name.slice(at + 1) } : undefined;
};

export class RealmNameDirectory implements UserDirectory {
  constructor(private readonly split: RealmSplitter = splitAtSign) {}

  async candidates(loginName: string): Promise<Array<{ username: string; realm: string }>> {
    const whole = { username: loginName, realm: '' };
    const split = this.split(loginName);
    return split ? [whole, split] : [whole];
  }

  async lookup(): Promise<DirectoryUser | undefined> {
    return undefined;
  }

  /** Nobody has a directory password here. */
  async checkPassword(): Promise<boolean> {
    return false;
  }
}
