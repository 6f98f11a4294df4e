// The GSM modem provider over a socat pseudo-terminal pair, with a modem emulator on the far
// end that decodes the PDUs with python-gammu (a decoder no one here wrote).
import { afterEach, describe, expect, it } from 'vitest';
import { ModemProvider } from '../../src/gateways/modem.js';
import { smscField, packSeptets, submitTpdu } from '../../src/gateways/sms-pdu.js';
import { splitSms } from '../../src/gateways/sms-parts.js';
import { gatewayFailure } from '../helpers/gateway-failure.js';
import { startModem, type ModemPeer } from '../helpers/modem.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function modem(args: string[] = []): Promise<ModemPeer> {
  const m = await startModem(args);
  cleanup.push(() => m.stop());
  return m;
}

function provider(device: string, options: Record<string, string> = {}): ModemProvider {
  const p = new ModemProvider({ identifier: 'gw-modem', description: '', module: 'modem', headers: {}, options: { PORT: device, TIMEOUT: '2', ...options } });
  cleanup.push(() => p.close());
  return p;
}

describe('SMS-SUBMIT PDU encoding', () => {
  it('packs septets as in 3GPP TS 23.038 (the "hellohello" example)', () => {
    const septets = [...'hellohello'].map((c) => c.charCodeAt(0));
    expect(packSeptets(septets).toString('hex').toUpperCase()).toBe('E8329BFD4697D9EC37');
  });

  it('encodes the SMSC field as absent or as an international number', () => {
    expect(smscField(undefined).toString('hex')).toBe('00');
    expect(smscField('+491710760000').toString('hex')).toBe('0791947101670000');
  });

  it('builds a GSM 7-bit TPDU with the destination in swapped semi-octets', () => {
    const { coding, parts } = splitSms('hellohello', 1);
    expect(submitTpdu('+4917', parts[0]!, coding).toString('hex').toUpperCase()).toBe('0100049194710000' + '0A' + 'E8329BFD4697D9EC37');
  });
});

describe('modem provider', () => {
  it('initialises the modem (echo off, SIM checked, PDU mode) and sends a GSM text that gammu decodes', async () => {
    const m = await modem();
    const p = provider(m.device, { REGEXP: '/^00/+/' });
    await p.send('00491701234567', 'Your code 287082');
    await p.send('+491701234567', 'second');
    expect(await m.sms()).toEqual([
      expect.objectContaining({ number: '+491701234567', text: 'Your code 287082', coding: 'Default_No_Compression' }),
      expect.objectContaining({ number: '+491701234567', text: 'second' }),
    ]);
    // One initialisation for both messages: the port stays open.
    expect((await m.commands()).filter((c) => c === 'AT+CMGF=0')).toHaveLength(1);
    expect((await m.commands()).slice(0, 4)).toEqual(['AT', 'ATE0', 'AT+CPIN?', 'AT+CMGF=0']);
  });

  it('puts the configured SMSC number into the PDU', async () => {
    const m = await modem();
    await provider(m.device, { SMSC_NUMBER: '+491710760000' }).send('+15551234', 'x');
    expect((await m.sms())[0]).toMatchObject({ smsc: '+491710760000', number: '+15551234' });
  });

  it('sends a non-GSM text as UCS-2', async () => {
    const m = await modem();
    const message = 'Ваш код 287082 '.padEnd(70, 'ж');
    await provider(m.device).send('+1555', message);
    expect(await m.sms()).toEqual([expect.objectContaining({ text: message, coding: 'Unicode_No_Compression' })]);
  });

  it('splits a 300-character text into concatenated parts that reassemble', async () => {
    const m = await modem();
    const message = Array.from({ length: 300 }, (_v, i) => String.fromCharCode(97 + (i % 26))).join('');
    await provider(m.device).send('+1555', message);
    const sms = await m.sms();
    expect(sms.map((s) => [s.part, s.parts])).toEqual([[1, 2], [2, 2]]);
    expect(sms[0]!.ref).toBe(sms[1]!.ref);
    expect(sms.map((s) => s.text).join('')).toBe(message);
  });

  it('unlocks a SIM that asks for its PIN, without writing the PIN into errors', async () => {
    const m = await modem(['--pin', '4711']);
    await provider(m.device, { PIN: '4711' }).send('+1555', 'code');
    expect(await m.commands()).toContain('AT+CPIN="4711"');
    expect(await m.sms()).toHaveLength(1);
  });

  it('names the missing option when the SIM asks for a PIN and none is set', async () => {
    const m = await modem(['--pin', '4711']);
    const message = await gatewayFailure(provider(m.device).send('+1555', 'code'));
    expect(message).toMatch(/gw-modem.*SIM asks for its PIN; set option PIN/);
    expect(await m.sms()).toHaveLength(0);
  });

  it('reports a refused PIN without the PIN', async () => {
    const m = await modem(['--pin', '4711']);
    const p = provider(m.device, { PIN: '1234' });
    const message = await gatewayFailure(p.send('+1555', 'code'));
    expect(message).toMatch(/SIM refused the PIN \(\+CME ERROR: 16\)/);
    expect(message).not.toContain('1234');
    // A second wrong attempt would bring the SIM closer to its PUK lock: the PIN is not sent again.
    expect(await gatewayFailure(p.send('+1555', 'code'))).toMatch(/not tried again until option PIN changes/);
    expect((await m.commands()).filter((c) => c.startsWith('AT+CPIN='))).toHaveLength(1);
  });

  it('reports +CMS ERROR: 500 from the network and sends the next SMS normally', async () => {
    const m = await modem(['--fail-suffix', '999']);
    const p = provider(m.device);
    expect(await gatewayFailure(p.send('+1555999', 'code'))).toMatch(/gw-modem.*modem .*: \+CMS ERROR: 500/);
    await p.send('+1555000', 'after');
    expect(await m.sms()).toEqual([expect.objectContaining({ number: '+1555000', text: 'after' })]);
  });

  it('gives up on a modem that stops answering, within TIMEOUT', async () => {
    const m = await modem(['--hang-suffix', '777']);
    const p = provider(m.device, { TIMEOUT: '1' });
    const started = Date.now();
    expect(await gatewayFailure(p.send('+1555777', 'code'))).toMatch(/no answer to the SMS PDU within 1 s \(TIMEOUT\)/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('sends one message at a time when several arrive together', async () => {
    const m = await modem();
    const p = provider(m.device);
    await Promise.all(['+1001', '+1002', '+1003', '+1004'].map((n) => p.send(n, `to ${n}`)));
    expect((await m.sms()).map((s) => s.number)).toEqual(['+1001', '+1002', '+1003', '+1004']);
    expect((await m.sms()).map((s) => s.text)).toEqual(['to +1001', 'to +1002', 'to +1003', 'to +1004']);
  });

  it('sends plain text in MODE text and refuses what text mode cannot carry', async () => {
    const m = await modem();
    const p = provider(m.device, { MODE: 'text' });
    await p.send('+1555', 'Your code 287082');
    expect(await m.commands()).toContain('AT+CMGF=1');
    expect(await m.commands()).toContain('AT+CMGS="+1555"');
    expect(await m.sms()).toEqual([{ number: '+1555', text: 'Your code 287082' }]);
    expect(await gatewayFailure(p.send('+1555', 'Ваш код'))).toMatch(/MODE text sends one plain ASCII SMS only/);
  });

  it('reports a port that does not exist', async () => {
    const message = await gatewayFailure(provider('/dev/does-not-exist-modem').send('+1', 'x'));
    expect(message).toMatch(/gw-modem.*cannot open the serial port/);
  });

  it('checks its options when the gateway is defined', () => {
    expect(() => provider('/dev/null', { MODE: 'fax' })).toThrow(/MODE/);
    expect(() => provider('/dev/null', { PIN: '12ab' })).toThrow(/PIN must be the SIM PIN/);
    expect(() => provider('/dev/null', { BAUDRATE: 'fast' })).toThrow(/BAUDRATE/);
    expect(() => provider('/dev/null', { SPEED: '1' })).toThrow(/unknown option SPEED/);
  });
});
