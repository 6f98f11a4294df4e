// A CSV file with a header line, read with csv-parse, as rows that know the line they start
// on: an operator fixing line 17 of a spreadsheet export needs the number their editor shows.
// A quoted field may span lines, so a record's line is where it starts, counted here from its
// byte offset (csv-parse counts a CRLF inside quotes as two lines; editors count one).
// Fields are separated by `,` or, as a German (or French, Dutch...) Excel saves "CSV", by `;`:
// the header line says which.
import { parse, type CsvError } from 'csv-parse/sync';
import { SmsOtpError } from '../core/errors.js';

/** The file is not CSV that can be read (a quote never closed, no header): exit status 2. */
export class CsvFileError extends SmsOtpError {
  override name = 'CsvFileError';
  readonly code = 'ERR_INVALID_CSV';
}

export interface CsvRow {
  /** 1-based line of the file the record starts on (the header is line 1 unless blank lines precede it). */
  readonly line: number;
  readonly cells: readonly string[];
}

export interface CsvTable {
  readonly header: CsvRow;
  readonly rows: readonly CsvRow[];
  /** What separates the fields, as the header line shows it. */
  readonly delimiter: CsvDelimiter;
}

export type CsvDelimiter = ',' | ';';

/**
 * Parses `data` (UTF-8, with or without a byte-order mark; LF, CRLF or CR line ends; fields
 * separated by `,` or `;`, whichever the header line has more of outside quotes).
 * Blanks around a field are dropped (quote a value to keep them); blank lines and lines of
 * empty fields only (spreadsheets export those) are skipped. Records with more or fewer
 * fields than the header are returned as they are, for the caller to name.
 */
export function readCsvTable(data: Buffer, name: string): CsvTable {
  let records: Array<{ record: string[]; info: { bytes: number } }>;
  const delimiter = delimiterOf(data);
  try {
    records = parse(data, { bom: true, delimiter, info: true, relax_column_count: true, skip_empty_lines: true, trim: true }) as unknown as typeof records;
  } catch (err) {
    const e = err as CsvError & { lines?: number };
    // csv-parse's message already says where ("... at line 3"); its code says what.
    throw new CsvFileError(`${name}: not readable as CSV: ${e.message}`);
  }
  const lineOf = lineCounter(data);
  let start = 0;
  const rows: CsvRow[] = [];
  for (const { record, info } of records) {
    const line = lineOf(firstNonBlank(data, start));
    start = info.bytes;
    if (record.every((cell) => cell === '')) continue;
    rows.push({ line, cells: record });
  }
  const [header, ...body] = rows;
  if (!header) throw new CsvFileError(`${name}: the file is empty; its first line must name the columns`);
  return { header, rows: body, delimiter };
}

/** `;` when the first non-blank line has more of them than commas outside quotes, else `,`. */
function delimiterOf(data: Buffer): CsvDelimiter {
  let quoted = false;
  const count = { ',': 0, ';': 0 };
  for (let i = firstNonBlank(data, 0); i < data.length; i++) {
    const c = data[i];
    if (c === 0x22) quoted = !quoted;
    else if (!quoted && (c === LF || c === CR)) break;
    else if (!quoted && c === 0x2c) count[',']++;
    else if (!quoted && c === 0x3b) count[';']++;
  }
  return count[';'] > count[','] ? ';' : ',';
}

const CR = 0x0d;
const LF = 0x0a;

/** The offset of the first byte at or after `from` that is not a blank, a line end or a byte-order mark. */
function firstNonBlank(data: Buffer, from: number): number {
  let i = from;
  if (i === 0 && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) i = 3;
  while (i < data.length && (data[i] === 0x20 || data[i] === 0x09 || data[i] === CR || data[i] === LF)) i++;
  return i;
}

/**
 * The line of a byte offset; offsets are asked for in increasing order, so the count goes on
 * from the last answer. CRLF, LF and a lone CR each end one line.
 */
function lineCounter(data: Buffer): (offset: number) => number {
  let at = 0;
  let line = 1;
  return (offset) => {
    for (; at < offset && at < data.length; at++) {
      if (data[at] === LF || (data[at] === CR && data[at + 1] !== LF)) line++;
    }
    return line;
  };
}
