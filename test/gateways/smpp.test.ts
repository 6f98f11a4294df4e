// The SMPP provider against the smpp package's own server playing the SMSC.
import { afterEach, describe, expect, it } from 'vitest';
import type { Pdu } from 'smpp';
import { SmppProvider } from '../../src/gateways/smpp.js';
import { splitSms } from '../../src/gateways/sms-parts.js';
import { gatewayFailure } from '../helpers/gateway-failure.js';
import { startSilentServer } from '../helpers/smtp.js';
import { startSmsc, type Smsc } from '../helpers/smsc.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function smsc(options?: Parameters<typeof startSmsc>[0]): Promise<Smsc> {
  const s = await startSmsc(options);
  cleanup.push(() => s.close());
  return s;
}

function provider(port: number, options: Record<string, string> = {}): SmppProvider {
  const p = new SmppProvider({
    identifier: 'gw-smpp', description: '', module: 'smpp', headers: {},
    options: { SMSC_HOST: '127.0.0.1', SMSC_PORT: String(port), SYSTEM_ID: 'otp', PASSWORD: 'pw', TIMEOUT: '1', ...options },
  });
  cleanup.push(() => p.close());
  return p;
}

const text = (pdu: Pdu) => (pdu.short_message as { message: string }).message;
/** The information elements of the UDH as the SMSC decoded them: [IEI, length, ...data]. */
const udh = (pdu: Pdu) => ((pdu.short_message as { udh?: Buffer[] }).udh ?? []).map((ie) => [...ie]);

const failure = (p: SmppProvider, message = 'x'): Promise<string> => gatewayFailure(p.send('+1555', message));

describe('SMPP provider', () => {
  it('binds as transmitter with its credentials and sends submit_sm with the configured fields, over one kept bind', async () => {
    const s = await smsc();
    const p = provider(s.port, { SYSTEM_TYPE: 'OTP', S_ADDR: 'ACME', S_ADDR_TON: '0x05', S_ADDR_NPI: '0', D_ADDR_TON: '1', D_ADDR_NPI: '0x01', REGISTERED_DELIVERY: '1', REGEXP: '/^\\+//' });
    await p.send('+491701234567', 'Your code 287082');
    await p.send('+491701234567', 'second');
    expect(s.binds).toHaveLength(1);
    expect(s.binds[0]).toMatchObject({ system_id: 'otp', password: 'pw', system_type: 'OTP' });
    expect(s.submits[0]).toMatchObject({
      source_addr: 'ACME', source_addr_ton: 5, source_addr_npi: 0, destination_addr: '491701234567',
      dest_addr_ton: 1, dest_addr_npi: 1, registered_delivery: 1, data_coding: 0,
    });
    expect(s.submits.map(text)).toEqual(['Your code 287082', 'second']);
  });

  it('sends a 70-character non-GSM text as one UCS-2 SMS', async () => {
    const s = await smsc();
    const message = 'Ваш код 287082 '.padEnd(70, 'ж');
    await provider(s.port).send('+1', message);
    expect(s.submits).toHaveLength(1);
    expect(s.submits[0]).toMatchObject({ data_coding: 8 });
    expect(text(s.submits[0]!)).toBe(message);
  });

  it('splits a 300-character text into concatenated parts with a UDH', async () => {
    const s = await smsc();
    const message = Array.from({ length: 300 }, (_v, i) => String.fromCharCode(97 + (i % 26))).join('');
    await provider(s.port).send('+1', message);
    expect(s.submits).toHaveLength(2);
    // Concatenation IE 0x00, 3 bytes: the same reference in both parts, 2 parts, sequence 1 and 2.
    const [first, second] = s.submits.map(udh);
    const reference = first![0]![2];
    expect([first, second]).toEqual([[[0x00, 3, reference, 2, 1]], [[0x00, 3, reference, 2, 2]]]);
    expect(s.submits.map((pdu) => (pdu.esm_class as number) & 0x40)).toEqual([0x40, 0x40]);
    expect(s.submits.map(text).join('')).toBe(message);
    expect(s.submits.map((pdu) => text(pdu).length)).toEqual([153, 147]);
  });

  it('reports a refused bind, then fails fast while it backs off', async () => {
    const s = await smsc({ password: 'other' });
    const p = provider(s.port);
    expect(await failure(p)).toMatch(/SMSC 127.0.0.1:\d+: bind refused: 0x0000000e ESME_RINVPASWD; check SYSTEM_ID and PASSWORD/);
    expect(await failure(p)).toMatch(/unavailable \(.*bind refused.*\); next bind in 1 s/);
    expect(s.binds).toHaveLength(1);
  });

  it('gives up on an SMSC that never answers the bind, or a submit_sm', async () => {
    const silent = await startSilentServer();
    cleanup.push(() => silent.close());
    expect(await failure(provider(silent.port))).toContain('no bind within 1 s (TIMEOUT)');
    const s = await smsc();
    s.hang();
    expect(await failure(provider(s.port))).toContain('did not answer submit_sm within 1 s (TIMEOUT)');
    expect(await failure(provider(9))).toContain('connection refused');
  });

  it('binds again after the SMSC restarts between two SMS, and unbinds cleanly at close', async () => {
    const first = await startSmsc();
    const p = provider(first.port);
    await p.send('+1', 'one');
    const port = first.port;
    await first.close();
    await new Promise((r) => setTimeout(r, 200));
    const second = await smsc({ port });
    await p.send('+1', 'two');
    expect(second.binds).toHaveLength(1);
    expect(second.submits.map(text)).toEqual(['two']);
    await p.close();
    expect(second.unbinds).toBe(1);
  });
});

describe('SMS parts', () => {
  it('chooses GSM 03.38 when it can, counts escape characters twice, and never cuts a character', () => {
    expect(splitSms('a'.repeat(160), 1).parts).toHaveLength(1);
    expect(splitSms('€'.repeat(80), 1)).toMatchObject({ coding: 'gsm', parts: [{ udh: undefined }] });
    expect(splitSms('€'.repeat(81), 1).parts.map((p) => p.text.length)).toEqual([76, 5]);
    expect(splitSms('ж'.repeat(71), 7).parts.map((p) => [p.text.length, p.udh?.toString('hex')])).toEqual([[67, '050003070201'], [4, '050003070202']]);
    const emoji = '😀'.repeat(40);
    expect(splitSms(emoji, 1).parts.map((p) => p.text).join('')).toBe(emoji);
    expect(splitSms(emoji, 1).parts.every((p) => !/[\ud800-\udbff]$/.test(p.text))).toBe(true);
  });
});
