// How a phone number (or a push token standing in for one) is shown where it must be
// recognisable but not readable: challenge prompts and audit rows. One rule for all of them.

/** Values shorter than this are masked completely: showing two characters of them would show most of them. */
const SHORTEST_SHOWN = 5;

/**
 * Every character but the last two becomes `*`, whatever the value looks like (digits,
 * spaces, `+`, letters of a device token alike), so the length is all that shows of the rest:
 * '+49 170 1234567' → '*************67'. A value of fewer than five characters is masked
 * completely ('1234' → '****'). Characters are code points, so no surrogate half is kept.
 */
export function redactPhone(phone: string): string {
  const chars = [...phone];
  const keep = chars.length < SHORTEST_SHOWN ? 0 : 2;
  return '*'.repeat(chars.length - keep) + chars.slice(chars.length - keep).join('');
}
