// The SQL of the login hot path, prepared once per connection. SQLite runs all of it;
// PostgreSQL only the reads and the purges (its writes run server-side, migrations 0005 and
// 0017), with
// `$n` placeholders.

export const TOKEN_COLUMNS =
  'serial, tokentype, username, realm, phone, dynamic_phone, gateway, otpkey, hashlib, otplen, counter, count_window, pin_hash, ' +
  'active, verified, failcount, maxfail, last_fail_at, last_auth_at, created_at, updated_at';

const TOKEN_COLUMNS_OF_T = TOKEN_COLUMNS.split(', ').map((c) => `t.${c}`).join(', ');

/** Statements written with `?`; PostgreSQL's `$n` are numbered from them. */
const COMMON = {
  tokensByUser: `SELECT ${TOKEN_COLUMNS} FROM tokens WHERE username = ? AND realm = ? ORDER BY serial`,
  tokenBySerial: `SELECT ${TOKEN_COLUMNS} FROM tokens WHERE serial = ?`,
  openWithTokens:
    'SELECT c.transaction_id AS c_transaction_id, c.serial AS c_serial, c.counter AS c_counter, c.username AS c_username, ' +
    'c.realm AS c_realm, c.client AS c_client, c.received_count AS c_received_count, c.created_at AS c_created_at, ' +
    `c.expires_at AS c_expires_at, ${TOKEN_COLUMNS_OF_T} ` +
    'FROM challenges c JOIN tokens t ON t.serial = c.serial WHERE c.transaction_id = ? AND c.expires_at > ? ORDER BY c.counter, c.serial',
  configRevision: "SELECT value FROM store_meta WHERE key = 'config_revision'",
  // The lock is part of each write of the login (issue 18): a token at its maxfail sends no
  // SMS, takes no failure past it, accepts nothing; concurrent requests cannot outrun it.
  advanceCounter: 'UPDATE tokens SET counter = counter + 1, updated_at = ? WHERE serial = ? AND failcount < maxfail RETURNING counter',
  tokenExists: 'SELECT 1 AS found FROM tokens WHERE serial = ?',
  unlockedToken: 'SELECT serial FROM tokens WHERE serial = ? AND failcount < maxfail',
  insertChallenge:
    'INSERT INTO challenges (transaction_id, serial, counter, username, realm, client, received_count, created_at, expires_at) ' +
    'VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)',
  consumeTransaction: 'DELETE FROM challenges WHERE transaction_id = ?',
  countReceived: 'UPDATE challenges SET received_count = received_count + 1 WHERE transaction_id = ?',
  recordFailure:
    'UPDATE tokens SET failcount = failcount + 1, last_fail_at = ?, updated_at = ? WHERE serial = ? AND failcount < maxfail ' +
    'RETURNING failcount, maxfail',
  // Params: at, serial, failedBefore (failcounter_clear_timeout's cut-off).
  clearFailures:
    'UPDATE tokens SET failcount = 0, last_fail_at = NULL, updated_at = ? WHERE serial = ? AND failcount >= maxfail ' +
    'AND last_fail_at IS NOT NULL AND last_fail_at <= ?',
  verifyToken: 'UPDATE tokens SET verified = TRUE, updated_at = ? WHERE serial = ?',
  insertAudit:
    'INSERT INTO audit (at, action, username, realm, client, client_address, serials, reason, ' +
    'gateway, phone, calling_station_id, nas_ip_address, nas_identifier) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  // Through the expires_at index, a bounded batch at a time: never a full scan, never a long lock.
  purgeExpired: 'DELETE FROM challenges WHERE id IN (SELECT id FROM challenges WHERE expires_at <= ? LIMIT 1000)',
  // Enrollment by challenge (migration 0011).
  pendingEnrollment:
    'SELECT transaction_id, username, realm, client, phone, phone_source, otpkey, counter, received_count, created_at, expires_at ' +
    'FROM pending_enrollments WHERE transaction_id = ? AND expires_at > ?',
  insertPendingEnrollment:
    'INSERT INTO pending_enrollments (transaction_id, username, realm, client, phone, phone_source, otpkey, counter, ' +
    'received_count, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)',
  consumePendingEnrollment: 'DELETE FROM pending_enrollments WHERE transaction_id = ?',
  countPendingReceived: 'UPDATE pending_enrollments SET received_count = received_count + 1 WHERE transaction_id = ?',
  createToken:
    `INSERT INTO tokens (${TOKEN_COLUMNS}) ` +
    "VALUES (?, 'sms', ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, TRUE, TRUE, 0, ?, NULL, ?, ?, ?)",
  purgeExpiredEnrollments:
    'DELETE FROM pending_enrollments WHERE id IN (SELECT id FROM pending_enrollments WHERE expires_at <= ? LIMIT 1000)',
  // For the metrics, at scrape time: the challenges still open, through the expires_at index
  // (expired ones are purged every few seconds, so the range is small).
  openChallenges: 'SELECT COUNT(*) AS n FROM challenges WHERE expires_at > ?',
  // The tokens the login would refuse as locked (lockState in src/core/login/token-state.ts):
  // only the partial index tokens_locked (migration 0016), which holds just those over maxfail.
  // Params: failcounter_clear_timeout (minutes), now - that timeout (ms).
  lockedTokens:
    'SELECT COUNT(*) AS n FROM tokens WHERE failcount >= maxfail AND active = TRUE AND (? = 0 OR last_fail_at IS NULL OR last_fail_at > ?)',
  // SMS limits (migration 0014). SQLite checks and counts with these, in its batch transaction;
  // PostgreSQL with sms_otp_consume_limits. Params: key, window end, now, now, now.
  openLimitWindow:
    'INSERT INTO sms_limits (key, count, refused, expires_at) VALUES (?, 0, 0, ?) ON CONFLICT (key) DO UPDATE SET ' +
    'count = CASE WHEN expires_at <= ? THEN 0 ELSE count END, refused = CASE WHEN expires_at <= ? THEN 0 ELSE refused END, ' +
    'expires_at = CASE WHEN expires_at <= ? THEN excluded.expires_at ELSE expires_at END RETURNING count, expires_at',
  countLimit: 'UPDATE sms_limits SET count = count + 1 WHERE key = ?',
  refuseLimit: 'UPDATE sms_limits SET refused = refused + 1 WHERE key = ? RETURNING refused',
  // An SMS that reached no gateway is not counted (migration 0019): only in the window it was
  // counted in. Params: key, window end.
  refundLimit: 'UPDATE sms_limits SET count = count - 1 WHERE key = ? AND expires_at = ? AND count > 0',
} as const;

/**
 * Audit rows past the retention, 1 000 per statement through the `at` index. On SQLite the
 * statement runs on the event loop inside a login batch's transaction (about 10 ms); smaller
 * batches measured worse, their more frequent commits and WAL syncs costing the logins more
 * than the shorter statements saved. On PostgreSQL it runs server-side, and nodes pruning
 * at once skip each other's rows instead of waiting for them.
 */
const pruneAudit = (batch: number, skipLocked: boolean) =>
  `DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE at < ? LIMIT ${batch}${skipLocked ? ' FOR UPDATE SKIP LOCKED' : ''})`;

/** Ended SMS limit windows, 1 000 at a time through the expires_at index; nodes skip each other's rows. */
const purgeExpiredLimits = (skipLocked: boolean) =>
  `DELETE FROM sms_limits WHERE key IN (SELECT key FROM sms_limits WHERE expires_at <= ? LIMIT 1000${skipLocked ? ' FOR UPDATE SKIP LOCKED' : ''})`;

/** Params: next counter, at, at, serial[, matched counter]. */
const commitOtp = (max: string, strict: boolean) =>
  `UPDATE tokens SET counter = ${max}(counter, ?), failcount = 0, last_fail_at = NULL, last_auth_at = ?, updated_at = ? ` +
  `WHERE serial = ? AND failcount < maxfail${strict ? ' AND counter <= ?' : ''}`;

/** What openChallenges and lockedTokens count (the stores' liveCounts). */
export interface LiveCounts {
  readonly openChallenges: number;
  readonly lockedTokens: number;
}

export type StatementName = keyof typeof COMMON | 'commitOtpStrict' | 'commitOtpAny' | 'pruneAudit' | 'purgeExpiredLimits';
export type StatementSet = Readonly<Record<StatementName, string>>;

export const SQLITE_STATEMENTS: StatementSet = {
  ...COMMON,
  commitOtpStrict: commitOtp('MAX', true),
  commitOtpAny: commitOtp('MAX', false),
  pruneAudit: pruneAudit(1000, false),
  purgeExpiredLimits: purgeExpiredLimits(false),
};

function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

export type PgStatementName =
  | 'tokensByUser'
  | 'tokenBySerial'
  | 'openWithTokensOfMany'
  | 'configRevision'
  | 'purgeExpired'
  | 'pruneAudit'
  | 'pendingEnrollment'
  | 'purgeExpiredEnrollments'
  | 'openChallenges'
  | 'lockedTokens'
  | 'purgeExpiredLimits'
  | 'refundLimit';

/**
 * PostgreSQL's form of a batched delete `… WHERE k IN (SELECT k … LIMIT n)`: `k = ANY (ARRAY(…))`.
 * With IN the planner may join the whole table once a backlog has expired (measured: every one
 * of 100 000 challenges read to delete 1 000, 35 ms a batch); the array is computed first and
 * its keys looked up by the primary key (2 ms).
 */
export const pgBatchDelete = (sql: string): string => {
  if (!/ IN \(SELECT .*\)$/.test(sql)) throw new Error(`not a batched delete: ${sql}`);
  return `${sql.replace(' IN (SELECT ', ' = ANY (ARRAY(SELECT ')})`;
};

export const PG_STATEMENTS: Readonly<Record<PgStatementName, string>> = {
  tokensByUser: numbered(COMMON.tokensByUser),
  tokenBySerial: numbered(COMMON.tokenBySerial),
  // The reads of one turn of the event loop in one round trip (PgAuthStore.openWithTokens):
  // the open challenges of several States, grouped by State (each group in the order above).
  openWithTokensOfMany:
    COMMON.openWithTokens
      .replace('WHERE c.transaction_id = ? AND c.expires_at > ?', 'WHERE c.transaction_id = ANY ($1::text[]) AND c.expires_at > $2')
      .replace('ORDER BY c.counter', 'ORDER BY c.transaction_id, c.counter'),
  configRevision: COMMON.configRevision,
  purgeExpired: numbered(pgBatchDelete(COMMON.purgeExpired)),
  pendingEnrollment: numbered(COMMON.pendingEnrollment),
  purgeExpiredEnrollments: numbered(pgBatchDelete(COMMON.purgeExpiredEnrollments)),
  pruneAudit: numbered(pgBatchDelete(pruneAudit(1000, true))),
  openChallenges: numbered(COMMON.openChallenges),
  lockedTokens: numbered(COMMON.lockedTokens),
  purgeExpiredLimits: numbered(pgBatchDelete(purgeExpiredLimits(true))),
  refundLimit: numbered(COMMON.refundLimit),
};
