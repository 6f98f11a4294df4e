// Reading an import file: csv-parse does the parsing; what is ours is the line each record
// starts on (the number an operator's editor shows), a byte-order mark, CRLF inside quotes,
// blank and empty-field lines, and the whether-a-PIN-is-needed rule.
import { describe, expect, it } from 'vitest';
import { CsvFileError, readCsvTable } from '../../src/app/csv-table.js';
import { NO_PIN_HASH, pinRequired } from '../../src/core/token-pin.js';
import { PinHasher } from '../../src/crypto/pin-hash.js';
import { resolveSettings, type SettingValues } from '../../src/core/settings.js';

const read = (text: string) => readCsvTable(Buffer.from(text, 'utf8'), 'f.csv');
const lines = (text: string) => {
  const { header, rows } = read(text);
  return [header, ...rows].map((r) => [r.line, ...r.cells]);
};

describe('readCsvTable', () => {
  it('gives each record the line it starts on, with LF, CRLF or CR line ends and line breaks inside quotes', () => {
    for (const eol of ['\n', '\r\n', '\r']) {
      const text = ['\uFEFFuser,phone', '"smith, john",+49 1', '', '"multi', 'line ""quoted""",2', ',', '  ', 'ünïcödé,3', ''].join(eol);
      expect(lines(text), JSON.stringify(eol)).toEqual([
        [1, 'user', 'phone'],
        [2, 'smith, john', '+49 1'],
        [4, `multi${eol}line "quoted"`, '2'],
        [8, 'ünïcödé', '3'],
      ]);
    }
  });

  it('drops blanks around a field but keeps them inside quotes, and returns records of the wrong length as they are', () => {
    expect(lines('a , b\n x ," y ",z\n')).toEqual([[1, 'a', 'b'], [2, 'x', ' y ', 'z']]);
  });

  it('takes ; as the delimiter when the header line has more of them than commas outside quotes (a German Excel)', () => {
    expect(read('\uFEFFuser;phone\r\n"a;b";1,5\r\n')).toMatchObject({ delimiter: ';', header: { cells: ['user', 'phone'] }, rows: [{ cells: ['a;b', '1,5'] }] });
    expect(read('user,phone\nx;y,1\n')).toMatchObject({ delimiter: ',', rows: [{ cells: ['x;y', '1'] }] });
    expect(read('"a,b";c;d\n1;2;3\n').delimiter).toBe(';');
    expect(read('"a;b;c",d\n').delimiter).toBe(',');
    expect(read('\n\nuser\nx\n').delimiter).toBe(',');
  });

  it('refuses a file that is not CSV, or empty, naming the file', () => {
    expect(() => read('user,phone\n"open,1\n')).toThrow(CsvFileError);
    expect(() => read('user,phone\n"open,1\n')).toThrow(/^f\.csv: not readable as CSV: Quote Not Closed/);
    expect(() => read('\uFEFF\r\n\r\n')).toThrow(/^f\.csv: the file is empty/);
  });
});

describe('a token PIN', () => {
  const settings = resolveSettings(new Map());
  it('is required while otppin is tokenpin or does not exist, and not otherwise', () => {
    expect(pinRequired(settings)).toBe(true);
    expect(pinRequired({ ...settings, otppin: 'tokenpin' } as SettingValues)).toBe(true);
    expect(pinRequired({ ...settings, otppin: 'userstore' } as SettingValues)).toBe(false);
    expect(pinRequired({ ...settings, otppin: 'none' } as SettingValues)).toBe(false);
  });

  it('stored as NO_PIN_HASH matches no PIN, not even an empty one', async () => {
    const pins = new PinHasher(Buffer.alloc(32, 7));
    expect(await pins.verify('', NO_PIN_HASH)).toBe(false);
    expect(await pins.verify('1234', NO_PIN_HASH)).toBe(false);
  });
});
