// How a NAS writes a realm into User-Name: user@realm (suffix), EXAMPLE\\user (prefix), or not at all.
import type { RealmSplitter } from '../directory/realm-names.js';

export function realmSplitter(format: 'suffix' | 'prefix' | 'none', delimiter: string): RealmSplitter {
  return (name) => {
    if (format === 'none') return undefined;
    const at = format === 'suffix' ? name.lastIndexOf(delimiter) : name.indexOf(delimiter);
    if (at <= 0 || at + delimiter.length >= name.length) return undefined;
    const before = name.slice(0, at);
    const after = name.slice(at + delimiter.length);
    return format === 'suffix' ? { username: before, realm: after } : { username: after, realm: before };
  };
}

/**
 * The inverse, for a front that gets the realm apart (privacyIDEA's `realm` parameter): the
 * name written so that the splitter above gives user and realm back. Without a realm format
 * a realm cannot be written into the name, and the user name is taken alone.
 */
export function realmJoiner(format: 'suffix' | 'prefix' | 'none', delimiter: string): (user: string, realm: string) => string {
  return (user, realm) => (format === 'suffix' ? `${user}${delimiter}${realm}` : format === 'prefix' ? `${realm}${delimiter}${user}` : user);
}
