// The name of a group from its DN, as memberOf lists it: the value of the DN's first RDN,
// its cn when that RDN has several parts. Read by RFC 4514's rules (and RFC 2253's quoted
// values), because names carry the characters that need them: `CN=Sales\, Berlin,OU=...`
// is the group "Sales, Berlin", `CN=R\26D` is "R&D", `CN=M\C3\BCnchen` is "München".
// ldapts builds DNs but does not parse them; a whole DN parser is more than a first RDN needs.

/** One attribute=value of an RDN, the value unescaped. */
interface Ava {
  readonly type: string;
  readonly value: string;
}

/** The group's name: the cn of the first RDN, else its first value; undefined for a DN that does not parse. */
export function groupNameOfDn(dn: string): string | undefined {
  const rdn = firstRdn(dn);
  if (!rdn || rdn.length === 0) return undefined;
  return (rdn.find((a) => a.type.toLowerCase() === 'cn') ?? rdn[0])!.value;
}

/** The attribute-value pairs of the first RDN (several when joined by `+`), or undefined when malformed. */
function firstRdn(dn: string): Ava[] | undefined {
  const avas: Ava[] = [];
  let i = 0;
  for (;;) {
    const equals = dn.indexOf('=', i);
    if (equals < 0) return undefined;
    const type = dn.slice(i, equals).trim();
    if (!/^([A-Za-z][A-Za-z0-9-]*|[0-9]+(\.[0-9]+)*)$/.test(type)) return undefined;
    const parsed = readValue(dn, equals + 1);
    if (!parsed) return undefined;
    avas.push({ type, value: parsed.value });
    if (dn[parsed.end] !== '+') return avas;
    i = parsed.end + 1;
  }
}

/** A value from `start` to the next unescaped `,` `;` `+` or the end; `end` is that separator's index. */
function readValue(dn: string, start: number): { value: string; end: number } | undefined {
  let i = start;
  while (dn[i] === ' ') i++;
  if (dn[i] === '"') return readQuoted(dn, i + 1);
  // #hex is the BER encoding of the value (RFC 4514 2.4): kept as written, it names the group still.
  const bytes: number[] = [];
  let trailingSpaces = 0;
  for (; i < dn.length; i++) {
    // By code point: a character outside the BMP is two UTF-16 units.
    const c = String.fromCodePoint(dn.codePointAt(i)!);
    if (c.length === 2) i++;
    if (c === ',' || c === ';' || c === '+') break;
    if (c === '\\') {
      const hex = /^[0-9A-Fa-f]{2}/.exec(dn.slice(i + 1, i + 3));
      if (hex) {
        bytes.push(parseInt(hex[0], 16));
        i += 2;
      } else if (i + 1 < dn.length) {
        const escaped = String.fromCodePoint(dn.codePointAt(i + 1)!);
        bytes.push(...Buffer.from(escaped, 'utf8'));
        i += escaped.length;
      } else {
        return undefined;
      }
      trailingSpaces = 0;
      continue;
    }
    // An escaped space counts; spaces before a separator do not (RFC 2253 allowed them there).
    trailingSpaces = c === ' ' ? trailingSpaces + 1 : 0;
    bytes.push(...Buffer.from(c, 'utf8'));
  }
  const value = Buffer.from(bytes.slice(0, bytes.length - trailingSpaces)).toString('utf8');
  return value === '' ? undefined : { value, end: i };
}

/** A value in double quotes (RFC 2253): everything up to the closing quote, `\"` and `\\` escaped. */
function readQuoted(dn: string, start: number): { value: string; end: number } | undefined {
  let value = '';
  for (let i = start; i < dn.length; i++) {
    const c = dn[i]!;
    if (c === '\\' && i + 1 < dn.length) {
      value += dn[++i];
      continue;
    }
    if (c === '"') {
      let end = i + 1;
      while (dn[end] === ' ') end++;
      return value === '' ? undefined : { value, end };
    }
    value += c;
  }
  return undefined;
}
