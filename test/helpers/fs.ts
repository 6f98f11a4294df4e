import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'bin/sms-otp-radiusd.js');
export const RFC4226_KEY = '3132333435363738393031323334353637383930';
/** HOTP values of the RFC 4226 key for counters 0..9 (Appendix D). */
export const RFC4226_HOTP = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];

export function tempDir(prefix = 'smsotp-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}
