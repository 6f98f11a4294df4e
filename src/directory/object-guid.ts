// Active Directory's objectGUID, as privacyIDEA's LDAP resolver (UIDTYPE objectGUID) keeps a
// user's id: the GUID written as a UUID string. The directory holds 16 octets in Microsoft's
// order (the first three groups little-endian, Python's uuid bytes_le), and an equality search
// must send those octets, not the string.

const UUID_TEXT = /^\{?([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})\}?$/i;

/** The octets of objectGUID for the GUID `text` (braces allowed); undefined when it is no GUID. */
export function objectGuidOctets(text: string): Buffer | undefined {
  const groups = UUID_TEXT.exec(text.trim());
  if (!groups) return undefined;
  const [, time_low, time_mid, time_hi, clock, node] = groups as unknown as [string, string, string, string, string, string];
  const littleEndian = (hex: string) => Buffer.from(hex, 'hex').reverse();
  return Buffer.concat([littleEndian(time_low), littleEndian(time_mid), littleEndian(time_hi), Buffer.from(clock + node, 'hex')]);
}
