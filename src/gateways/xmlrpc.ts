// The little XML-RPC the Sipgate provider needs: a call whose parameters are one struct of
// strings, and the reading of a struct or fault answer. Every value is XML-escaped (the
// fault privacyIDEA's provider had with `<` and `&` in a message).

/** XML 1.0 allows tab, newline and carriage return among the control characters, no others. */
export function escapeXml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

export function methodCall(method: string, struct: Readonly<Record<string, string>>): string {
  const members = Object.entries(struct)
    .map(([name, value]) => `<member><name>${escapeXml(name)}</name><value><string>${escapeXml(value)}</string></value></member>`)
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<methodCall><methodName>${escapeXml(method)}</methodName><params><param><value><struct>${members}</struct></value></param></params></methodCall>\n`;
}

function unescapeXml(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

/** The scalar members of the response's struct (strings and integers), or the fault. */
export type XmlRpcResponse = { fault: { code: number; message: string } } | { members: Record<string, string> };

export function parseResponse(xml: string): XmlRpcResponse | undefined {
  const members: Record<string, string> = {};
  const memberPattern = /<member>\s*<name>([^<]*)<\/name>\s*<value>\s*(?:<(string|i4|int|boolean|double)>([^<]*)<\/\2>|([^<]*))\s*<\/value>\s*<\/member>/g;
  for (const m of xml.matchAll(memberPattern)) members[unescapeXml(m[1] ?? '')] = unescapeXml(m[3] ?? m[4] ?? '');
  if (/<fault>/.test(xml)) {
    return { fault: { code: Number(members.faultCode ?? NaN), message: members.faultString ?? '' } };
  }
  return /<methodResponse>/.test(xml) ? { members } : undefined;
}
