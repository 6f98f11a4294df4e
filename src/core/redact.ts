// How a destination number is shown wherever it leaves the token record (the challenge
// prompt's {phone_redacted}, the audit trail): enough to tell which phone, not enough to
// reach it.

/** Every character but the last two masked: `+4917012345` → `*********45`. */
export function redactPhone(phone: string): string {
  const chars = [...phone];
  return '*'.repeat(Math.max(0, chars.length - 2)) + chars.slice(-2).join('');
}
