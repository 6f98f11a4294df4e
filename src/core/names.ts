// User and realm names as the store keeps and compares them. A realm is a domain-like name and
// compares without case (user@EXAMPLE.com means realm example.com): it is kept in lower case,
// so that lookups stay exact and use the index. User names compare exactly, as they are.
// Neither holds control characters: PostgreSQL cannot store NUL in text, and no real login
// name has one.

const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

export function normaliseRealm(realm: string): string {
  return realm.toLowerCase();
}

export function hasControlCharacter(name: string): boolean {
  return CONTROL_CHARACTER.test(name);
}

/** The name with each control character replaced by its Unicode control picture (␀, ␉, ␡), fit for the audit and the log. */
export function printableName(name: string): string {
  return name.replace(/[\u0000-\u001f\u007f]/g, (c) => String.fromCharCode(c === '\u007f' ? 0x2421 : 0x2400 + c.charCodeAt(0)));
}
