// Rows of the hot-path reads turned into domain values.
import type { Challenge, Token } from '../../core/model.js';
import type { TokenDecoder, TokenRow } from '../tokens.js';

/** One row per open challenge, each with its token's columns: challenges, and each token once. */
export function challengesWithTokens(rows: ReadonlyArray<Record<string, unknown>>, decoder: TokenDecoder): { challenges: Challenge[]; tokens: Token[] } {
  const challenges: Challenge[] = [];
  const tokens = new Map<string, Token>();
  for (const row of rows) {
    challenges.push({
      transactionId: String(row.c_transaction_id),
      serial: String(row.c_serial),
      counter: Number(row.c_counter),
      username: String(row.c_username),
      realm: String(row.c_realm),
      client: String(row.c_client),
      receivedCount: Number(row.c_received_count),
      createdAt: Number(row.c_created_at),
      expiresAt: Number(row.c_expires_at),
    });
    if (!tokens.has(String(row.serial))) tokens.set(String(row.serial), decoder.decode(row as unknown as TokenRow));
  }
  return { challenges, tokens: [...tokens.values()].sort((a, b) => a.serial.localeCompare(b.serial)) };
}
