// GSM modem provider: an SMS through a modem on a serial port (AT commands, 3GPP TS 27.005),
// one message at a time. PDU mode (default) carries UCS-2 and concatenated parts; text mode
// is for modems that only have it. `AT+CMGS` answers with the prompt "> " and no line end,
// so the reader looks for it in the raw stream rather than in lines.
import { SerialPort } from 'serialport';
import type { GatewayDefinition } from './definition.js';
import { rewritePhone } from './phone.js';
import { GatewayError, Options, type GatewayFailure, type SmsProvider } from './provider.js';
import { MODEM_PARAMETERS } from './modem-parameters.js';
import { splitSms } from './sms-parts.js';
import { smscField, submitTpdu } from './sms-pdu.js';

const CTRL_Z = '\x1a';
const FINAL = /^(OK|ERROR|\+CMS ERROR:.*|\+CME ERROR:.*|NO CARRIER)$/;

/** What went wrong with the modem; `failure` says whose fault it is (the device, the network, our options). */
class ModemError extends Error {
  constructor(
    message: string,
    readonly failure: GatewayFailure = 'unreachable',
  ) {
    super(message);
  }
}

/** A line-oriented AT conversation over the serial port. */
class AtChannel {
  private buffer = '';
  private waiter:
    | { prompt: boolean; lines: string[]; resolve(lines: string[]): void; reject(err: Error): void; timer: NodeJS.Timeout }
    | undefined;

  constructor(
    private readonly port: SerialPort,
    private readonly timeoutMs: number,
  ) {
    port.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString('latin1');
      this.drain();
    });
  }

  private drain(): void {
    const w = this.waiter;
    if (w?.prompt) {
      const at = this.buffer.indexOf('> ');
      if (at >= 0) {
        this.buffer = this.buffer.slice(at + 2);
        this.settle((x) => x.resolve(w.lines));
        return;
      }
    }
    let end: number;
    while ((end = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buffer.slice(0, end).trim();
      this.buffer = this.buffer.slice(end + (this.buffer.startsWith('\r\n', end) ? 2 : 1));
      if (!line || !this.waiter) continue; // unsolicited result codes between commands are ignored
      this.waiter.lines.push(line);
      if (FINAL.test(line)) {
        const lines = this.waiter.lines;
        if (line === 'OK') this.settle((x) => x.resolve(lines));
        else this.settle((x) => x.reject(new ModemError(line, 'refused'))); // the modem or the network said no (ERROR, +CMS ERROR)
        return;
      }
      if (this.waiter.prompt && line === '>') {
        this.settle((x) => x.resolve(x.lines));
        return;
      }
    }
  }

  private settle(fn: (w: NonNullable<AtChannel['waiter']>) => void): void {
    const w = this.waiter;
    if (!w) return;
    this.waiter = undefined;
    clearTimeout(w.timer);
    fn(w);
  }

  /** Writes `text` and resolves with the response lines at OK (or at the "> " prompt). */
  exchange(text: string, what: string, prompt = false): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => this.settle((x) => x.reject(new ModemError(`no answer to ${what} within ${this.timeoutMs / 1000} s (TIMEOUT)`))),
        this.timeoutMs,
      );
      this.waiter = { prompt, lines: [], resolve, reject, timer };
      this.port.write(text, 'latin1');
      this.drain();
    });
  }

  command(cmd: string): Promise<string[]> {
    return this.exchange(`${cmd}\r`, cmd.replace(/^(AT\+CPIN=).*/, '$1"****"'));
  }
}

export class ModemProvider implements SmsProvider {
  private readonly opts: Options;
  private readonly path: string;
  private readonly baudRate: number;
  private readonly pdu: boolean;
  private readonly timeoutMs: number;
  private channel: { port: SerialPort; at: AtChannel } | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private reference = Math.floor(Math.random() * 256);
  /** Set once the SIM refused the PIN: trying it again would count towards the SIM lock. */
  private pinRefused: string | undefined;

  constructor(definition: GatewayDefinition) {
    this.opts = new Options(definition, MODEM_PARAMETERS);
    this.opts.rejectUnknown('the modem');
    this.path = this.opts.required('PORT');
    const baud = Number(this.opts.required('BAUDRATE'));
    if (!Number.isInteger(baud) || baud < 300 || baud > 4_000_000) throw new GatewayError(this.opts.id, `option BAUDRATE must be a baud rate such as 9600 or 115200`, 'configuration');
    this.baudRate = baud;
    this.pdu = this.opts.oneOf('MODE', ['pdu', 'text'] as const) === 'pdu';
    this.timeoutMs = this.opts.seconds('TIMEOUT') * 1000;
    const pin = this.opts.get('PIN');
    if (pin !== undefined && !/^\d{4,8}$/.test(pin)) throw new GatewayError(this.opts.id, 'option PIN must be the SIM PIN, 4 to 8 digits', 'configuration');
  }

  /** Messages go out one after another: a modem handles one AT+CMGS at a time. */
  send(rawPhone: string, message: string): Promise<void> {
    const job = this.queue.then(() => this.sendNow(rewritePhone(rawPhone, this.opts.get('REGEXP')), message));
    this.queue = job.catch(() => undefined);
    return job;
  }

  private async sendNow(phone: string, message: string): Promise<void> {
    try {
      const at = await this.ready();
      this.reference = (this.reference + 1) & 0xff;
      const { coding, parts } = splitSms(message, this.reference);
      if (!this.pdu) {
        if (parts.length > 1 || !/^[\x20-\x7e\n\r]*$/.test(message)) {
          throw new ModemError('MODE text sends one plain ASCII SMS only; use MODE pdu for this message', 'configuration');
        }
        await at.exchange(`AT+CMGS="${phone.replace(/"/g, '')}"\r`, 'AT+CMGS', true);
        await at.exchange(`${message}${CTRL_Z}`, 'the SMS text');
        return;
      }
      const smsc = smscField(this.opts.get('SMSC_NUMBER'));
      for (const part of parts) {
        const tpdu = submitTpdu(phone, part, coding);
        await at.exchange(`AT+CMGS=${tpdu.length}\r`, 'AT+CMGS', true);
        await at.exchange(`${Buffer.concat([smsc, tpdu]).toString('hex').toUpperCase()}${CTRL_Z}`, 'the SMS PDU');
      }
    } catch (err) {
      // After a timeout or a refusal the modem's state is unknown: start over next time.
      await this.disconnect();
      throw new GatewayError(this.opts.id, `modem ${this.path}: ${err instanceof Error ? err.message : String(err)}`, err instanceof ModemError ? err.failure : 'unreachable');
    }
  }

  /** Opens the port and brings the modem to a known state: echo off, SIM unlocked, SMS mode. */
  private async ready(): Promise<AtChannel> {
    if (this.channel) return this.channel.at;
    const port = new SerialPort({ path: this.path, baudRate: this.baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) =>
      port.open((err) => (err ? reject(new ModemError(`cannot open the serial port (${err.message})`)) : resolve())),
    );
    const at = new AtChannel(port, this.timeoutMs);
    this.channel = { port, at };
    port.on('close', () => {
      if (this.channel?.port === port) this.channel = undefined;
    });
    await at.command('AT');
    await at.command('ATE0');
    await this.unlockSim(at);
    await at.command(`AT+CMGF=${this.pdu ? 0 : 1}`);
    const smsc = this.opts.get('SMSC_NUMBER');
    if (!this.pdu && smsc) await at.command(`AT+CSCA="${smsc.replace(/"/g, '')}"`);
    return at;
  }

  private async unlockSim(at: AtChannel): Promise<void> {
    const state = (await at.command('AT+CPIN?')).find((l) => l.startsWith('+CPIN:'))?.slice(6).trim();
    if (state === 'READY') return;
    if (state !== 'SIM PIN') throw new ModemError(`the SIM is not ready (${state ?? 'no +CPIN answer'}); it may need its PUK`);
    const pin = this.opts.get('PIN');
    if (!pin) throw new ModemError('the SIM asks for its PIN; set option PIN', 'configuration');
    if (this.pinRefused) throw new ModemError(`${this.pinRefused}; not tried again until option PIN changes`, 'configuration');
    try {
      await at.command(`AT+CPIN="${pin}"`);
    } catch (err) {
      this.pinRefused = `the SIM refused the PIN (${(err as Error).message})`;
      throw new ModemError(`${this.pinRefused}; check option PIN before the SIM locks`, 'configuration');
    }
  }

  private async disconnect(): Promise<void> {
    const channel = this.channel;
    this.channel = undefined;
    if (channel?.port.isOpen) await new Promise<void>((resolve) => channel.port.close(() => resolve()));
  }

  async close(): Promise<void> {
    await this.queue;
    await this.disconnect();
  }
}

export const createModemProvider = (definition: GatewayDefinition): SmsProvider => new ModemProvider(definition);
