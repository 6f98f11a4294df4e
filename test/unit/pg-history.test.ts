// The PL/pgSQL that migrations ran is history: a database that ran a migration holds its text,
// so a fresh one must get the very same. An edit to src/store/migrations/pg-history.ts fails
// here; a change belongs in src/store/auth/pg-steps.ts and a new migration (see that file).
import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { PG_HISTORY } from '../../src/store/migrations/pg-history.js';

const PINNED: Record<string, string> = {
  apply_unit_0005: 'd04e30ea73a60e6966c5e64e7ee831e51d5afc7c06b76bf2344128bd264ebfc6',
  insert_audit_0007: 'e23b84c0a85fd94385e02a8bee47ca1047117cca9eb8acea78aa7fd370c39244',
  apply_unit_0007: '6e8dd57a9ccdef2281cc2f6001ef7f843ee296d485a854d16280afc9404b63c7',
  apply_unit_0009: '168b08d5076221d6f3a4962b6c6fdaa159a453b1d0fb39f5af295792644afd31',
  apply_unit_0011: '943f5a78e45d0be2ecf433e27966d773a09cdc8d2c19a701032fb998b542cb0d',
  consume_limits_0014: '07419687f7b15825ce7a4f77f1cacaeafc9bc26e95a510f51d9f96bf6d44e856',
  apply_unit_0017: '9a8de64dfbd3ad7dc7c7b65fede5f29b1a8efcf15be836625105d03dca918f55',
  consume_limits_0019_down: '28b7c4b9668f524d6b6d81998d0bd0f7d6f930b478e9ab204c5f66477cead715',
  consume_limits_0019: 'ac9c5fbe35b1ddfc0a0b265052cb7d12d258ed689ba89c813ca99e0653f748a6',
  apply_unit_0021: '0703cadb863e6dda7550de8400b362df80c5b5a07996596b1a4ce2baf614c36b',
};

it.each(Object.entries(PINNED))('%s is as migrations ran it', (key, sha256) => {
  const text = (PG_HISTORY as Record<string, string>)[key];
  expect(text, `${key} is gone from pg-history.ts`).toBeDefined();
  expect(createHash('sha256').update(text!).digest('hex'), `${key} was edited: history is never edited`).toBe(sha256);
});

it('every text in the history is pinned (a new one gets its sha256 here)', () => {
  expect(Object.keys(PG_HISTORY).sort()).toEqual(Object.keys(PINNED).sort());
});
