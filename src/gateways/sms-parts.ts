// How one text becomes SMS parts: GSM 03.38 (7-bit default alphabet, SMPP data_coding 0)
// when every character is in it, UCS-2 (data_coding 8) otherwise; a text longer than one
// SMS is split into concatenated parts with an 8-bit-reference UDH (3GPP TS 23.040 §9.2.3.24.1).
import smpp from 'smpp';

export type SmsCoding = 'gsm' | 'ucs2';

export interface SmsPart {
  readonly text: string;
  /** The User Data Header, for parts of a concatenated message. */
  readonly udh: Buffer | undefined;
}

const SINGLE = { gsm: 160, ucs2: 70 } as const;
const MULTI = { gsm: 153, ucs2: 67 } as const;
export const MAX_PARTS = 255;

export function codingOf(text: string): SmsCoding {
  return smpp.encodings.ASCII!.match(text) ? 'gsm' : 'ucs2';
}

/** Septets (GSM; escape-table characters take two) or UTF-16 code units (UCS-2) of one character. */
function units(char: string, coding: SmsCoding): number {
  return coding === 'gsm' ? smpp.encodings.ASCII!.encode(char).length : char.length;
}

export function splitSms(text: string, reference: number): { coding: SmsCoding; parts: SmsPart[] } {
  const coding = codingOf(text);
  const chars = [...text]; // code points: a surrogate pair is never cut
  const total = chars.reduce((n, c) => n + units(c, coding), 0);
  if (total <= SINGLE[coding]) return { coding, parts: [{ text, udh: undefined }] };
  const texts: string[] = [];
  let current = '';
  let used = 0;
  for (const char of chars) {
    const size = units(char, coding);
    if (used + size > MULTI[coding]) {
      texts.push(current);
      current = '';
      used = 0;
    }
    current += char;
    used += size;
  }
  texts.push(current);
  if (texts.length > MAX_PARTS) throw new RangeError(`the text needs ${texts.length} SMS, more than ${MAX_PARTS}`);
  const parts = texts.map((t, i) => ({ text: t, udh: Buffer.from([0x05, 0x00, 0x03, reference & 0xff, texts.length, i + 1]) }));
  return { coding, parts };
}
