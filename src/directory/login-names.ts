// The forms in which a login name carries a realm: user@realm (also a UPN, alice@example.com)
// and DOMAIN\user (Windows' down-level logon name).

export interface LoginName {
  readonly user: string;
  /** The realm as written, when the name carries one. */
  readonly realm?: string;
  readonly form: 'plain' | 'suffix' | 'prefix';
}

export function parseLoginName(name: string): LoginName {
  const backslash = name.indexOf('\\');
  if (backslash > 0 && backslash < name.length - 1) {
    return { user: name.slice(backslash + 1), realm: name.slice(0, backslash), form: 'prefix' };
  }
  const at = name.lastIndexOf('@');
  if (at > 0 && at < name.length - 1) return { user: name.slice(0, at), realm: name.slice(at + 1), form: 'suffix' };
  return { user: name, form: 'plain' };
}
