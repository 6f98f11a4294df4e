// SMS-SUBMIT TPDUs for a modem in PDU mode (3GPP TS 23.040 §9.2.2.2): destination in
// semi-octets, GSM 7-bit packed with fill bits after a UDH, or UCS-2.
import smpp from 'smpp';
import type { SmsPart, SmsCoding } from './sms-parts.js';

/** Address digits as swapped semi-octets, F-padded: "4917" → 0x94 0x71. */
function semiOctets(digits: string): Buffer {
  const padded = digits.length % 2 ? `${digits}F` : digits;
  const out = Buffer.alloc(padded.length / 2);
  for (let i = 0; i < padded.length; i += 2) out[i / 2] = parseInt(`${padded[i + 1]}${padded[i]}`, 16);
  return out;
}

function addressType(number: string): { digits: string; type: number } {
  const digits = number.replace(/[^0-9]/g, '');
  if (!digits) throw new RangeError(`'${number}' has no digits to send to`);
  return { digits, type: number.trim().startsWith('+') ? 0x91 : 0x81 };
}

/** The SMSC prefix of a PDU: 00 (use the one stored in the SIM) or the given number. */
export function smscField(smscNumber: string | undefined): Buffer {
  if (!smscNumber) return Buffer.from([0]);
  const { digits, type } = addressType(smscNumber);
  const number = semiOctets(digits);
  return Buffer.concat([Buffer.from([number.length + 1, type]), number]);
}

/** 7-bit septets packed LSB first, after `fillBits` zero bits. */
export function packSeptets(septets: readonly number[], fillBits = 0): Buffer {
  const out: number[] = [];
  let acc = 0;
  let bits = fillBits;
  for (const septet of septets) {
    acc |= (septet & 0x7f) << bits;
    bits += 7;
    while (bits >= 8) {
      out.push(acc & 0xff);
      acc >>>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) out.push(acc & 0xff);
  return Buffer.from(out);
}

/** The TPDU of one part (without the SMSC field); its length is what AT+CMGS wants. */
export function submitTpdu(destination: string, part: SmsPart, coding: SmsCoding): Buffer {
  const { digits, type } = addressType(destination);
  const udh = part.udh;
  const firstOctet = 0x01 | (udh ? 0x40 : 0); // SMS-SUBMIT, no validity period, UDHI when a UDH follows
  const header = Buffer.concat([
    Buffer.from([firstOctet, 0x00, digits.length, type]),
    semiOctets(digits),
    Buffer.from([0x00, coding === 'gsm' ? 0x00 : 0x08]),
  ]);
  if (coding === 'ucs2') {
    const text = Buffer.from(part.text, 'utf16le').swap16();
    const ud = udh ? Buffer.concat([udh, text]) : text;
    return Buffer.concat([header, Buffer.from([ud.length]), ud]);
  }
  const septets = [...smpp.encodings.ASCII!.encode(part.text)];
  if (!udh) return Buffer.concat([header, Buffer.from([septets.length]), packSeptets(septets)]);
  const udhBits = udh.length * 8;
  const fill = (7 - (udhBits % 7)) % 7;
  const udhSeptets = (udhBits + fill) / 7;
  return Buffer.concat([header, Buffer.from([udhSeptets + septets.length]), udh, packSeptets(septets, fill)]);
}
