// The keys the login itself writes and reads (enrollment by challenge): sealed by the key file
// like every token key, before a unit reaches SQLite or goes as JSON to PostgreSQL, so that no
// key is ever stored or sent in clear.
import type { EnrolledToken, WriteStep, WriteUnit } from '../../core/ports.js';
import type { PendingEnrollment } from '../../core/model.js';
import type { SecretBox } from '../../crypto/secretbox.js';
import { otpkeyContext } from '../tokens.js';

/** A pending enrollment's key is bound to its transaction: copied to another row it does not open. */
const pendingContext = (transactionId: string) => `pending:${transactionId}:otpkey`;

export type SealedStep =
  | Exclude<WriteStep, { kind: 'insertPendingEnrollment' | 'createToken' }>
  | {
      readonly kind: 'insertPendingEnrollment';
      readonly enrollment: Omit<PendingEnrollment, 'receivedCount' | 'otpKey'> & { readonly otpkey: string };
    }
  | { readonly kind: 'createToken'; readonly token: Omit<EnrolledToken, 'otpKey'> & { readonly otpkey: string } };

export interface SealedUnit extends Omit<WriteUnit, 'steps'> {
  readonly steps: readonly SealedStep[];
}

export interface PendingEnrollmentRow {
  transaction_id: string;
  username: string;
  realm: string;
  client: string;
  phone: string;
  phone_source: string;
  otpkey: string;
  counter: number;
  received_count: number;
  created_at: number | string;
  expires_at: number | string;
}

export class LoginKeys {
  constructor(private readonly box: SecretBox) {}

  sealUnit(unit: WriteUnit): SealedUnit {
    if (!unit.steps.some((s) => s.kind === 'insertPendingEnrollment' || s.kind === 'createToken')) return unit as SealedUnit;
    return { ...unit, steps: unit.steps.map((step) => this.sealStep(step)) };
  }

  private sealStep(step: WriteStep): SealedStep {
    if (step.kind === 'insertPendingEnrollment') {
      const { otpKey, ...rest } = step.enrollment;
      return { kind: step.kind, enrollment: { ...rest, otpkey: this.box.seal(otpKey, pendingContext(rest.transactionId)) } };
    }
    if (step.kind === 'createToken') {
      const { otpKey, ...rest } = step.token;
      return { kind: step.kind, token: { ...rest, otpkey: this.box.seal(otpKey, otpkeyContext(rest.serial)) } };
    }
    return step;
  }

  pendingEnrollment(row: PendingEnrollmentRow): PendingEnrollment {
    return {
      transactionId: row.transaction_id,
      username: row.username,
      realm: row.realm,
      client: row.client,
      phone: row.phone,
      phoneSource: row.phone_source === 'directory' ? 'directory' : 'typed',
      otpKey: this.box.open(row.otpkey, pendingContext(row.transaction_id)),
      counter: Number(row.counter),
      receivedCount: Number(row.received_count),
      createdAt: Number(row.created_at),
      expiresAt: Number(row.expires_at),
    };
  }
}
