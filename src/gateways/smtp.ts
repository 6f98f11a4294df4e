// SMTP provider (email-to-SMS): one mail per message through a central SMTP server
// definition (`smtpserver set`), sent with nodemailer.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import nodemailer, { type Transporter } from 'nodemailer';
import type { GatewayDefinition } from './definition.js';
import type { SmtpServerDefinition } from './definition.js';
import { fillTags, rewritePhone } from './phone.js';
import { GatewayError, type GatewayFailure, Options, type ProviderContext, type SmsProvider } from './provider.js';
import { SMTP_PARAMETERS } from './smtp-parameters.js';


interface CachedTransport {
  fingerprint: string;
  transport: Transporter;
}

export class SmtpProvider implements SmsProvider {
  private readonly opts: Options;
  private readonly serverId: string;
  private readonly mailto: string;
  private readonly subject: string;
  private readonly body: string;
  private cached: CachedTransport | undefined;

  constructor(
    definition: GatewayDefinition,
    private readonly context: ProviderContext,
  ) {
    this.opts = new Options(definition, SMTP_PARAMETERS);
    this.opts.rejectUnknown('SMTP');
    this.serverId = this.opts.required('SMTPIDENTIFIER');
    this.mailto = this.opts.required('MAILTO');
    this.subject = this.opts.required('SUBJECT');
    this.body = this.opts.required('BODY');
  }

  async send(rawPhone: string, message: string): Promise<void> {
    const phone = rewritePhone(rawPhone, this.opts.get('REGEXP'));
    const server = await this.context.smtpServers.get(this.serverId);
    if (!server) {
      throw new GatewayError(this.opts.id, `SMTP server '${this.serverId}' is not defined (smtpserver set ${this.serverId} --server HOST)`, 'configuration');
    }
    const transport = this.transportFor(server);
    try {
      await transport.sendMail({
        from: server.sender ?? `sms-otp-radiusd@${hostname()}`,
        to: fillTags(this.mailto, phone, message),
        subject: fillTags(this.subject, phone, message),
        text: fillTags(this.body, phone, message),
      });
    } catch (err) {
      throw new GatewayError(this.opts.id, `${describeServer(server)}: ${describeSmtpError(err, server)}`, smtpFailureOf(err));
    }
  }

  /** One transport per server definition; a changed definition gets a new one. */
  private transportFor(server: SmtpServerDefinition): Transporter {
    const fingerprint = createHash('sha256').update(JSON.stringify(server)).digest('hex');
    if (this.cached?.fingerprint === fingerprint) return this.cached.transport;
    this.cached?.transport.close();
    const implicitTls = server.server.startsWith('smtps://');
    let ca: Buffer | undefined;
    if (server.caFile) {
      try {
        ca = readFileSync(server.caFile);
      } catch (err) {
        throw new GatewayError(this.opts.id, `SMTP server ${server.identifier}: cannot read CA file ${server.caFile} (${(err as NodeJS.ErrnoException).code})`, 'configuration');
      }
    }
    const timeoutMs = server.timeout * 1000;
    const transport = nodemailer.createTransport({
      host: implicitTls ? server.server.slice('smtps://'.length) : server.server,
      port: server.port,
      secure: implicitTls,
      requireTLS: server.tls,
      auth: server.username ? { user: server.username, pass: server.password ?? '' } : undefined,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
      tls: ca ? { ca } : {},
    });
    this.cached = { fingerprint, transport };
    return transport;
  }

  async close(): Promise<void> {
    this.cached?.transport.close();
    this.cached = undefined;
  }
}

function describeServer(server: SmtpServerDefinition): string {
  return `SMTP server ${server.identifier} (${server.server}:${server.port})`;
}

/** An operator's reason from a nodemailer error: never the password or the message. */
export function describeSmtpError(err: unknown, server: SmtpServerDefinition): string {
  const e = err as { code?: string; responseCode?: number; command?: string; message?: string; cause?: { code?: string } };
  const code = e.code ?? '';
  const causeCode = e.cause?.code ?? (/(ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ECONNRESET|EAI_AGAIN)/.exec(e.message ?? '')?.[1] ?? '');
  if (code === 'EAUTH') return `login as ${server.username ?? '(none)'} refused (${e.responseCode ?? 'EAUTH'}); check --username and --password`;
  if (code === 'ETIMEDOUT') return `no answer within ${server.timeout} s (--timeout)`;
  if (/certificate|self.signed|CERT_|UNABLE_TO_VERIFY/i.test(e.message ?? '')) {
    return 'TLS certificate not trusted; give the CA with --ca-file';
  }
  if (code === 'ETLS' && /STARTTLS/.test(e.message ?? '')) return 'the server does not offer STARTTLS, but --tls requires it';
  if (code === 'ECONNECTION' || code === 'ESOCKET' || code === 'EDNS') {
    if (causeCode === 'ECONNREFUSED') return 'connection refused (ECONNREFUSED)';
    if (causeCode === 'ENOTFOUND' || causeCode === 'EAI_AGAIN' || code === 'EDNS') return `host name not resolved (${causeCode || code})`;
    return `connection failed (${causeCode || code})`;
  }
  if (e.responseCode) return `the server refused ${e.command ?? 'the message'} with ${e.responseCode}`;
  return code || 'unknown error';
}

/**
 * An SMTP failure's class: the server's permanent no (5xx) is a refusal, a refused login or an
 * untrusted certificate is our configuration, everything else (no connection, a timeout, a
 * transient 4xx) means the server is not usable now.
 */
export function smtpFailureOf(err: unknown): GatewayFailure {
  const e = err as { code?: string; responseCode?: number; message?: string };
  if (e.code === 'EAUTH') return 'configuration';
  if (/certificate|self.signed|CERT_|UNABLE_TO_VERIFY/i.test(e.message ?? '')) return 'configuration';
  if (e.code === 'ETLS' && /STARTTLS/.test(e.message ?? '')) return 'configuration';
  if (e.responseCode !== undefined && e.responseCode >= 500) return 'refused';
  return 'unreachable';
}

export const createSmtpProvider = (definition: GatewayDefinition, context: ProviderContext): SmsProvider =>
  new SmtpProvider(definition, context);
