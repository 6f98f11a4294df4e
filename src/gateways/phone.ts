// The REGEXP phone rewrite every provider shares: `/pattern/replacement/`, applied to all
// matches. As in privacyIDEA, the split is greedy on the pattern (so a `/` may stand in a
// character class) and an invalid pattern leaves the number unchanged.

export function rewritePhone(phone: string, regexp: string | undefined): string {
  if (!regexp) return phone;
  const parts = /^\/(.*)\/(.*)\/$/s.exec(regexp);
  if (!parts) return phone;
  const [, pattern = '', replacement = ''] = parts;
  let re: RegExp;
  try {
    re = new RegExp(pattern, 'g');
  } catch {
    return phone;
  }
  // Python-style back-references (\1) become JavaScript's ($1); a literal $ stays literal.
  const jsReplacement = replacement.replace(/\$/g, '$$$$').replace(/\\(\d)/g, '$$$1');
  return phone.replace(re, jsReplacement);
}

/** The `{phone}` and `{otp}` tags of option values; privacyIDEA's `{otp}` is the whole message. */
export function fillTags(template: string, phone: string, message: string): string {
  return template.replace(/\{phone\}/g, () => phone).replace(/\{otp\}/g, () => message);
}
