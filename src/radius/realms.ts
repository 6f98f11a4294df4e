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
