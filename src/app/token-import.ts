// Bulk enrollment from a CSV file (`token import --csv`). Every line is checked by the rules of
// `token enroll` and against the store before anything is written, and every problem found is
// reported with its line and column: a file is imported whole or not at all. Then the PINs are
// hashed on all cores (outside any transaction: at pin.kdf_cost 14 that takes minutes, and a
// SQLite write lock held that long would stall the daemons) and the tokens are inserted in one
// transaction.
import { availableParallelism } from 'node:os';
import { NotFoundError, RefusedError, SmsOtpError } from '../core/errors.js';
import type { PinHasher } from '../crypto/pin-hash.js';
import { newSerial } from '../core/random.js';
import type { OtpLength } from '../core/model.js';
import { normaliseRealm } from '../core/names.js';
import { NO_PIN_HASH, pinRequired as settingsRequirePin } from '../core/token-pin.js';
import type { SettingValues } from '../core/settings.js';
import type { Store } from '../store/index.js';
import type { NewToken } from '../store/tokens.js';
import { adminAuditEntry, type ChangeActor } from './audited-changes.js';
import { readCsvTable, type CsvDelimiter, type CsvRow } from './csv-table.js';
import { mustFit } from './limits.js';
import { checkRealm, checkSerial, checkUser, parseOtpKey, phoneOfEnrollment, randomOtpKey, recipientKindOf, TokenAdminError, validatePin } from './token-admin.js';
import { counted } from '../core/counted.js';

/** The file's content is wrong (the message lists the lines and columns): exit status 2. */
export class TokenImportError extends SmsOtpError {
  override name = 'TokenImportError';
  readonly code = 'ERR_INVALID_CSV';
}

/** Problems listed in the error; the rest are counted. */
export const MAX_LISTED_PROBLEMS = 20;

/** One line's token as the file gives it, before serials are chosen and PINs hashed. */
interface Draft {
  readonly line: number;
  username: string;
  realm: string;
  phone: string;
  /** The user store's mobile, read at every send, instead of a number. */
  dynamicPhone: boolean;
  pin?: string;
  otpKey?: Buffer;
  serial?: string;
  gateway: string | null;
}

interface Column {
  /** The header must name at least one column of each group. */
  readonly group?: string;
  /** Checks a cell and puts its value into the draft; throws an SmsOtpError that names the problem. */
  readonly apply: (draft: Draft, value: string) => void;
}

/** The columns a file may have, in the order their problems are reported. An empty cell means "the default". */
const COLUMNS = {
  user: {
    group: 'user',
    apply(d, v) {
      checkUser(v);
      d.username = v;
    },
  },
  realm: {
    apply(d, v) {
      checkRealm(v);
      d.realm = normaliseRealm(v);
    },
  },
  phone: {
    group: 'phone',
    // Checked against the store's gateways, once the line's gateway is known to exist.
    apply(d, v) {
      d.phone = v;
    },
  },
  dynamic_phone: {
    group: 'phone',
    apply(d, v) {
      d.dynamicPhone = parseYesNo(v);
    },
  },
  pin: {
    apply(d, v) {
      if (v === '') return;
      validatePin(v);
      d.pin = v;
    },
  },
  otpkey: {
    apply(d, v) {
      if (v !== '') d.otpKey = parseOtpKey(v);
    },
  },
  serial: {
    apply(d, v) {
      if (v === '') return;
      checkSerial(v);
      d.serial = v;
    },
  },
  gateway: {
    apply(d, v) {
      if (v === '') return;
      mustFit('tokens', 'gateway', v, '--gateway');
      d.gateway = v;
    },
  },
} as const satisfies Record<string, Column>;

type ColumnName = keyof typeof COLUMNS;
const COLUMN_NAMES = Object.keys(COLUMNS) as ColumnName[];
const isColumnName = (name: string): name is ColumnName => Object.hasOwn(COLUMNS, name);
/** The required columns: of each group, at least one. */
const REQUIRED_GROUPS: ColumnName[][] = [...new Set(COLUMN_NAMES.map((c) => (COLUMNS[c] as Column).group))]
  .filter((group) => group !== undefined)
  .map((group) => COLUMN_NAMES.filter((c) => (COLUMNS[c] as Column).group === group));

export interface TokenImportOptions {
  /** Hashes computed at once (default: the machine's cores). */
  readonly parallelism?: number;
  /** Whether every token needs a PIN (default: the `otppin` rule, src/core/token-pin.ts). */
  readonly pinRequired?: (settings: SettingValues) => boolean;
}

export class TokenImport {
  private readonly parallelism: number;
  private readonly pinRequired: (settings: SettingValues) => boolean;

  constructor(
    private readonly store: Store,
    private readonly pins: PinHasher,
    options: TokenImportOptions = {},
  ) {
    this.parallelism = Math.max(1, options.parallelism ?? availableParallelism());
    this.pinRequired = options.pinRequired ?? settingsRequirePin;
  }

  /**
   * Imports the CSV file `data` (`name` names it in messages); returns how many tokens were
   * enrolled, and the delimiter read. One audit row (action admin) names the file, the count
   * and `actor`: a row per token would bury the trail under a roll-out.
   */
  async importCsv(data: Buffer, name: string, actor: ChangeActor): Promise<{ imported: number; delimiter: CsvDelimiter }> {
    const { header, rows, delimiter } = readCsvTable(data, name);
    const settings = await this.store.settings.values();
    const columns = this.columnsOf(header, name, this.pinRequired(settings), delimiter);
    if (rows.length === 0) throw new TokenImportError(`${name}: no lines after the header; nothing imported`);

    const problems = new Problems();
    const drafts = this.drafts(rows, columns, settings, problems, delimiter);
    await this.checkAgainstStore(drafts, settings, problems);
    problems.throwIfAny(name);

    await this.chooseSerials(drafts);
    const tokens = await this.finish(drafts, settings);
    await this.store.tokens.insertMany(tokens);
    // After the insert, as every audited change: a refused import changed nothing to record.
    await this.store.audit.append(adminAuditEntry(actor, `${counted(tokens.length, 'SMS token')} imported from ${name}`, Date.now()));
    return { imported: tokens.length, delimiter };
  }

  /** The column of each header cell, or an error naming what is wrong with the header. */
  private columnsOf(header: CsvRow, name: string, needPin: boolean, delimiter: CsvDelimiter): ColumnName[] {
    const problems: string[] = [];
    const columns = header.cells.map((cell) => cell.toLowerCase());
    columns.forEach((column, i) => {
      if (!isColumnName(column)) problems.push(`unknown column '${header.cells[i]}'`);
      else if (columns.indexOf(column) !== i) problems.push(`column ${column} appears twice`);
    });
    const named = new Set(columns);
    for (const members of REQUIRED_GROUPS) {
      if (!members.some((c) => named.has(c))) problems.push(`no ${members.join(' or ')} column`);
    }
    if (needPin && !named.has('pin')) problems.push('no pin column, and every token needs a PIN (the first factor of the login)');
    if (problems.length) {
      throw new TokenImportError(
        `${name}: line ${header.line} (the header): ${problems.join('; ')}; the columns are ${COLUMN_NAMES.join(', ')} (${REQUIRED_GROUPS.map((m) => m.join(' or ')).join(' and ')} required), separated by , or ; (this header: '${delimiter}'); nothing imported`,
      );
    }
    return columns as ColumnName[];
  }

  /** Each line checked on its own and against the lines before it. */
  private drafts(rows: readonly CsvRow[], columns: ColumnName[], settings: SettingValues, problems: Problems, delimiter: CsvDelimiter): Draft[] {
    const needPin = this.pinRequired(settings);
    const serials = new Map<string, number>();
    const owners = new Map<string, number>();
    const drafts: Draft[] = [];
    for (const row of rows) {
      if (row.cells.length !== columns.length) {
        problems.add(row.line, undefined, `${row.cells.length} fields, but the header names ${columns.length} columns (quote a value that holds a ${delimiter === ',' ? 'comma' : 'semicolon'})`);
        continue;
      }
      const draft: Draft = { line: row.line, username: '', realm: '', phone: '', dynamicPhone: false, gateway: null };
      const before = problems.count;
      for (const column of COLUMN_NAMES) {
        const i = columns.indexOf(column);
        if (i >= 0) problems.attempt(row.line, column, () => COLUMNS[column].apply(draft, row.cells[i]!));
      }
      if (needPin && draft.pin === undefined) {
        problems.add(row.line, 'pin', '--pin must not be empty: the PIN is the first factor of the login');
      }
      if (draft.serial !== undefined) {
        const first = serials.get(draft.serial);
        if (first !== undefined) problems.add(row.line, 'serial', `serial ${draft.serial} is on line ${first} too`);
        else serials.set(draft.serial, row.line);
      }
      if (draft.username !== '') {
        const owner = ownerKey(draft);
        const first = owners.get(owner);
        if (first !== undefined) problems.add(row.line, 'user', `${ownerName(draft)} is on line ${first} too; an import enrolls one token per user`);
        else owners.set(owner, row.line);
      }
      if (problems.count === before) drafts.push(draft);
    }
    return drafts;
  }

  /** Serials and users that have tokens already, gateways that do not exist, phones their gateway cannot send to. */
  private async checkAgainstStore(drafts: Draft[], settings: SettingValues, problems: Problems): Promise<void> {
    const taken = await this.store.tokens.takenSerials(drafts.flatMap((d) => (d.serial === undefined ? [] : [d.serial])));
    const owners = new Set((await this.store.tokens.ownersAmong(drafts.map((d) => d.username))).map(ownerKey));
    const gateways = new Map((await this.store.gateways.list()).map((g) => [g.identifier, g]));
    const defaultGateway = settings['sms.identifier'] === null ? undefined : gateways.get(settings['sms.identifier']);
    for (const draft of drafts) {
      if (draft.serial !== undefined && taken.has(draft.serial)) {
        problems.add(draft.line, 'serial', new RefusedError(`a token with serial ${draft.serial} exists already`).message);
      }
      if (owners.has(ownerKey(draft))) {
        problems.add(draft.line, 'user', `${ownerName(draft)} has a token already; an import enrolls one token per user ('token enroll' adds another)`);
      }
      const gateway = draft.gateway === null ? defaultGateway : gateways.get(draft.gateway);
      if (draft.gateway !== null && !gateway) {
        problems.add(draft.line, 'gateway', new NotFoundError(`no gateway '${draft.gateway}'; define it first with 'gateway set ${draft.gateway} --module ...'`).message);
        continue; // The phone's rule depends on the gateway.
      }
      problems.attempt(draft.line, draft.dynamicPhone ? 'dynamic_phone' : 'phone', () => {
        // An empty phone cell is no number (and a line needs one, or dynamic_phone).
        draft.phone = phoneOfEnrollment(draft.phone === '' ? undefined : draft.phone, draft.dynamicPhone, recipientKindOf(gateway));
      });
    }
  }

  /** A new serial for each line without one, unique in the file and the store. */
  private async chooseSerials(drafts: Draft[]): Promise<void> {
    const used = new Set(drafts.flatMap((d) => (d.serial === undefined ? [] : [d.serial])));
    let pending = drafts.filter((d) => d.serial === undefined);
    while (pending.length > 0) {
      for (const draft of pending) {
        do draft.serial = newSerial();
        while (used.has(draft.serial));
        used.add(draft.serial);
      }
      // 32 random bits each: among 10 000 a collision with the store is rare, not impossible.
      const taken = await this.store.tokens.takenSerials(pending.map((d) => d.serial!));
      pending = pending.filter((d) => taken.has(d.serial!));
    }
  }

  /** The rows to insert: keys chosen, PINs hashed with at most `parallelism` hashes at once. */
  private async finish(drafts: readonly Draft[], settings: SettingValues): Promise<NewToken[]> {
    const cost = settings['pin.kdf_cost'];
    const hashes = await mapBounded(drafts, this.parallelism, (d) => (d.pin === undefined ? Promise.resolve(NO_PIN_HASH) : this.pins.hash(d.pin, cost)));
    return drafts.map((d, i) => ({
      serial: d.serial!,
      username: d.username,
      realm: d.realm,
      phone: d.phone,
      dynamicPhone: d.dynamicPhone,
      gateway: d.gateway,
      otpKey: d.otpKey ?? randomOtpKey('sha1'),
      hashlib: 'sha1',
      otplen: 6 as OtpLength,
      countWindow: settings['token.default_count_window'],
      maxfail: settings['token.default_maxfail'],
      pinHash: hashes[i]!,
      // As `token enroll` without --verify/--no-verify: the site's verify_enrollment decides.
      verified: !settings.verify_enrollment,
    }));
  }
}

const YES = new Set(['true', 'yes', '1']);
const NO = new Set(['false', 'no', '0', '']);

/** A yes/no cell; empty means no. */
function parseYesNo(value: string): boolean {
  const word = value.trim().toLowerCase();
  if (YES.has(word)) return true;
  if (NO.has(word)) return false;
  throw new TokenAdminError(`must be true, false, yes, no, 1 or 0 (empty: false), not '${value}'`);
}

const ownerKey = (owner: { username: string; realm: string }) => `${owner.username}\u0000${owner.realm}`;
const ownerName = (d: Draft) => (d.realm === '' ? d.username : `${d.username}@${d.realm}`);

/** What is wrong with the file, line by line. */
class Problems {
  private readonly found: Array<{ line: number; text: string }> = [];

  get count(): number {
    return this.found.length;
  }

  add(line: number, column: ColumnName | undefined, message: string): void {
    this.found.push({ line, text: `line ${line}${column === undefined ? '' : `, column ${column}`}: ${message}` });
  }

  /** Runs a check; an expected error it throws becomes a problem of this line and column. */
  attempt(line: number, column: ColumnName, check: () => unknown): void {
    try {
      check();
    } catch (err) {
      if (!(err instanceof SmsOtpError)) throw err;
      this.add(line, column, err.message);
    }
  }

  throwIfAny(name: string): void {
    if (this.found.length === 0) return;
    // Found in two passes (the lines, then the store): listed in the order of the file.
    const sorted = [...this.found].sort((a, b) => a.line - b.line);
    const listed = sorted.slice(0, MAX_LISTED_PROBLEMS).map((p) => `  ${p.text}`);
    const more = sorted.length - listed.length;
    const count = counted(sorted.length, 'problem');
    throw new TokenImportError(
      [`${name}: ${count}, nothing imported:`, ...listed, ...(more > 0 ? [`  … and ${more} more`] : [])].join('\n'),
    );
  }
}

/** `fn` over `items` with at most `limit` calls pending at once; results in the order of `items`. */
async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
