// PIN hashes carried over from privacyIDEA 3.13.3 (passlib argon2, from the fixture's pi.sqlite):
// the PIN checker verifies them as they are (no pepper: privacyIDEA hashes token PINs without
// PI_PEPPER), refuses a wrong PIN and a malformed hash, and the core knows them for re-hashing.
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { isCarriedOverPinHash, NO_PIN_HASH } from '../../src/core/token-pin.js';
import { PinCheckQueue } from '../../src/crypto/pin-check-queue.js';
import { isPrivacyIdeaPinHash, PinHasher } from '../../src/crypto/pin-hash.js';

const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/privacyidea-3.13/pi.sqlite');

function pinHashOf(serial: string): string {
  const db = new Database(FIXTURE, { readonly: true });
  try {
    return (db.prepare('SELECT pin_hash FROM token WHERE serial = ?').get(serial) as { pin_hash: string }).pin_hash;
  } finally {
    db.close();
  }
}

describe('privacyIDEA argon2 PIN hashes', () => {
  const hasher = new PinHasher(Buffer.alloc(32, 7));
  const anna = pinHashOf('PISM00006D6F');

  it('verifies the PIN privacyIDEA set, and nothing else', async () => {
    expect(isPrivacyIdeaPinHash(anna)).toBe(true);
    expect(await hasher.verify('an-1701', anna)).toBe(true);
    expect(await hasher.verify('an-1702', anna)).toBe(false);
    // privacyIDEA's pepper is not part of a token PIN's hash.
    expect(await hasher.verify(`siZvYOuxeMwrX6LL9-emDFI0CZZWHK7ban-1701`, anna)).toBe(false);
    expect(await hasher.verify('an-1701', '$argon2id$v=19$m=102400,t=9,p=8$broken')).toBe(false);
  }, 60_000);

  it('runs in the PIN check queue like ours', async () => {
    const queue = new PinCheckQueue(hasher, { parallelism: 1 });
    expect(await queue.verify('an-1701', anna)).toBe(true);
    expect(await queue.verify('wrong', anna)).toBe(false);
  }, 60_000);

  it('is a carried-over hash to the core (re-hashed after the first correct PIN); ours and none are not', async () => {
    expect(isCarriedOverPinHash(anna)).toBe(true);
    expect(isCarriedOverPinHash(await hasher.hash('1234', 10))).toBe(false);
    expect(isCarriedOverPinHash(NO_PIN_HASH)).toBe(false);
  });
});
