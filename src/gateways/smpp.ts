// SMPP provider: a transmitter bind to an SMSC that stays open (enquire_link keeps it alive),
// comes back after a loss with exponential backoff, and never waits on the SMSC longer than
// TIMEOUT for any PDU (the smpp package itself waits forever). One submit_sm per part.
import smpp, { type Pdu, type Session } from 'smpp';
import type { GatewayDefinition } from './definition.js';
import { rewritePhone } from './phone.js';
import { GatewayError, Options, type SmsProvider } from './provider.js';
import { SMPP_PARAMETERS } from './smpp-parameters.js';
import { splitSms, type SmsCoding } from './sms-parts.js';

const DATA_CODING: Record<SmsCoding, number> = { gsm: 0x00, ucs2: 0x08 };
const ENQUIRE_LINK_MS = 30_000;
const BACKOFF_START_MS = 1_000;
const BACKOFF_MAX_MS = 60_000;

const statusName = (status: number): string => {
  const name = Object.entries(smpp.errors).find(([, code]) => code === status)?.[0];
  return `0x${status.toString(16).padStart(8, '0')}${name ? ` ${name}` : ''}`;
};

export class SmppProvider implements SmsProvider {
  private readonly opts: Options;
  private readonly host: string;
  private readonly port: number;
  private readonly timeoutMs: number;
  private readonly numbers: Record<'S_ADDR_TON' | 'S_ADDR_NPI' | 'D_ADDR_TON' | 'D_ADDR_NPI' | 'REGISTERED_DELIVERY', number>;
  private bound: Promise<Session> | undefined;
  private backoffMs = 0;
  private nextAttemptAt = 0;
  private lastFailure = '';
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reference = Math.floor(Math.random() * 256);
  private closed = false;

  constructor(definition: GatewayDefinition) {
    this.opts = new Options(definition, SMPP_PARAMETERS);
    this.opts.rejectUnknown('SMPP');
    this.host = this.opts.required('SMSC_HOST');
    this.port = this.number('SMSC_PORT', 65535);
    this.timeoutMs = this.opts.seconds('TIMEOUT') * 1000;
    this.numbers = {
      S_ADDR_TON: this.number('S_ADDR_TON', 255),
      S_ADDR_NPI: this.number('S_ADDR_NPI', 255),
      D_ADDR_TON: this.number('D_ADDR_TON', 255),
      D_ADDR_NPI: this.number('D_ADDR_NPI', 255),
      REGISTERED_DELIVERY: this.number('REGISTERED_DELIVERY', 255),
    };
  }

  /** Decimal or 0x hex, as privacyIDEA accepts them. */
  private number(key: string, max: number): number {
    const raw = this.opts.required(key);
    const value = /^0x[0-9a-f]+$/i.test(raw) ? parseInt(raw, 16) : /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isInteger(value) || value < 0 || value > max) {
      throw new GatewayError(this.opts.id, `option ${key} must be a number from 0 to ${max} (decimal or 0x hex), not '${raw}'`, 'configuration');
    }
    return value;
  }

  private get where(): string {
    return `SMSC ${this.host}:${this.port}`;
  }

  async send(rawPhone: string, message: string): Promise<void> {
    const phone = rewritePhone(rawPhone, this.opts.get('REGEXP'));
    this.reference = (this.reference + 1) & 0xff;
    const { coding, parts } = splitSms(message, this.reference);
    const session = await this.session();
    for (const part of parts) {
      const response = await this.request(session, 'submit_sm', (done) =>
        session.submit_sm(
          {
            source_addr: this.opts.get('S_ADDR') ?? '',
            source_addr_ton: this.numbers.S_ADDR_TON,
            source_addr_npi: this.numbers.S_ADDR_NPI,
            destination_addr: phone,
            dest_addr_ton: this.numbers.D_ADDR_TON,
            dest_addr_npi: this.numbers.D_ADDR_NPI,
            registered_delivery: this.numbers.REGISTERED_DELIVERY,
            data_coding: DATA_CODING[coding],
            short_message: part.udh ? { udh: part.udh, message: part.text } : { message: part.text },
          },
          done,
        ),
      );
      if (response.command_status !== 0) {
        throw new GatewayError(this.opts.id, `${this.where} refused submit_sm: ${statusName(response.command_status)}`, 'refused');
      }
    }
  }

  /** The bound session, binding first if needed; fails fast while a reconnect is backing off. */
  private session(): Promise<Session> {
    if (this.closed) return Promise.reject(new GatewayError(this.opts.id, 'provider closed', 'unreachable', true));
    if (this.bound) return this.bound;
    const wait = this.nextAttemptAt - Date.now();
    if (wait > 0) {
      return Promise.reject(new GatewayError(this.opts.id, `${this.where} unavailable (${this.lastFailure}); next bind in ${Math.ceil(wait / 1000)} s`, 'unreachable', true));
    }
    const attempt = this.bind();
    this.bound = attempt;
    attempt.then(
      () => {
        this.backoffMs = 0;
      },
      (err: Error) => {
        this.bound = undefined;
        this.lastFailure = err instanceof GatewayError ? err.reason : err.message;
        this.backoffMs = Math.min(this.backoffMs ? this.backoffMs * 2 : BACKOFF_START_MS, BACKOFF_MAX_MS);
        this.nextAttemptAt = Date.now() + this.backoffMs;
      },
    );
    return attempt;
  }

  private bind(): Promise<Session> {
    return new Promise<Session>((resolve, reject) => {
      let settled = false;
      const fail = (reason: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        session.destroy();
        // A bind or link that fails (refused bind included) leaves no session to send with:
        // nothing was submitted.
        reject(new GatewayError(this.opts.id, `${this.where}: ${reason}`, 'unreachable', true));
      };
      const timer = setTimeout(() => fail(`no bind within ${this.timeoutMs / 1000} s (TIMEOUT)`), this.timeoutMs);
      const session = smpp.connect({ host: this.host, port: this.port, auto_enquire_link_period: ENQUIRE_LINK_MS });
      session.on('error', (err: NodeJS.ErrnoException) => fail(err.code === 'ECONNREFUSED' ? 'connection refused (ECONNREFUSED)' : (err.code ?? err.message)));
      session.on('close', () => {
        fail('connection closed while binding');
        this.onLost(session);
      });
      session.on('connect', () => {
        session.bind_transmitter(
          {
            system_id: this.opts.get('SYSTEM_ID') ?? '',
            password: this.opts.get('PASSWORD') ?? '',
            system_type: this.opts.get('SYSTEM_TYPE') ?? '',
          },
          (pdu: Pdu) => {
            if (pdu.command_status !== 0) return fail(`bind refused: ${statusName(pdu.command_status)}; check SYSTEM_ID and PASSWORD`);
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            resolve(session);
          },
        );
      });
      // An SMSC may unbind us; answer and let 'close' do the rest.
      session.on('unbind', (pdu: Pdu) => session.send(pdu.response()));
      session.on('enquire_link', (pdu: Pdu) => session.send(pdu.response()));
    });
  }

  /** A bound session went away: forget it and bind again in the background after a pause. */
  private onLost(session: Session): void {
    void this.bound?.then((current) => {
      if (current !== session) return;
      this.bound = undefined;
      if (this.closed || this.reconnectTimer) return;
      this.backoffMs = Math.min(this.backoffMs ? this.backoffMs * 2 : BACKOFF_START_MS, BACKOFF_MAX_MS);
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = undefined;
        this.session().catch(() => undefined);
      }, this.backoffMs);
      this.reconnectTimer.unref();
    }, () => undefined);
  }

  /** One PDU and its response, within TIMEOUT; a session that does not answer is dropped. */
  private request(session: Session, command: string, issue: (done: (pdu: Pdu) => void) => boolean): Promise<Pdu> {
    return new Promise<Pdu>((resolve, reject) => {
      const timer = setTimeout(() => {
        session.destroy();
        reject(new GatewayError(this.opts.id, `${this.where} did not answer ${command} within ${this.timeoutMs / 1000} s (TIMEOUT)`, 'unreachable'));
      }, this.timeoutMs);
      const sent = issue((pdu) => {
        clearTimeout(timer);
        resolve(pdu);
      });
      if (!sent) {
        clearTimeout(timer);
        session.destroy();
        reject(new GatewayError(this.opts.id, `${this.where}: connection lost`, 'unreachable'));
      }
    });
  }

  /** Unbinds cleanly (bounded by TIMEOUT) and closes the connection. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const pending = this.bound;
    this.bound = undefined;
    const session = await pending?.catch(() => undefined);
    if (!session) return;
    await this.request(session, 'unbind', (done) => session.unbind(done)).catch(() => undefined);
    await new Promise<void>((resolve) => session.close(resolve));
  }
}

export const createSmppProvider = (definition: GatewayDefinition): SmsProvider => new SmppProvider(definition);
