// Sipgate provider: an SMS through Sipgate's XML-RPC API (samurai.SessionInitiate, TOS text).
import { request, type Dispatcher } from 'undici';
import type { GatewayDefinition } from './definition.js';
import { createDispatcher, describeNetworkError, neverConnected, readLimited } from './http-client.js';
import { rewritePhone } from './phone.js';
import { GatewayError, Options, type SmsProvider } from './provider.js';
import { SIPGATE_PARAMETERS } from './sipgate-parameters.js';
import { methodCall, parseResponse } from './xmlrpc.js';

export { SIPGATE_URL } from './sipgate-parameters.js';

export class SipgateProvider implements SmsProvider {
  private readonly opts: Options;
  private readonly url: URL;
  private readonly authorization: string;
  private readonly timeoutMs: number;
  private readonly dispatcher: Dispatcher;

  constructor(definition: GatewayDefinition) {
    this.opts = new Options(definition, SIPGATE_PARAMETERS);
    this.opts.rejectUnknown('Sipgate');
    try {
      this.url = new URL(this.opts.required('URL'));
    } catch {
      throw new GatewayError(this.opts.id, 'option URL is not a valid URL', 'configuration');
    }
    const username = this.opts.required('USERNAME');
    const password = this.opts.required('PASSWORD');
    this.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    // privacyIDEA waited a fixed 60 s; a NAS gives up long before that.
    this.timeoutMs = this.opts.seconds('TIMEOUT') * 1000;
    this.dispatcher = createDispatcher({
      proxy: this.opts.get('HTTPS_PROXY') ?? this.opts.get('PROXY'),
      verifyTls: true,
      timeoutMs: this.timeoutMs,
    });
  }

  async send(rawPhone: string, message: string): Promise<void> {
    const phone = rewritePhone(rawPhone, this.opts.get('REGEXP')).replace(/\+/g, '');
    const body = methodCall('samurai.SessionInitiate', { RemoteUri: `sip:${phone}@sipgate.de`, TOS: 'text', Content: message });
    const where = `${this.url.origin}${this.url.pathname}`;
    let status: number;
    let text: string;
    try {
      const response = await request(this.url, {
        method: 'POST',
        headers: { 'content-type': 'text/xml; charset=utf-8', authorization: this.authorization },
        body,
        dispatcher: this.dispatcher,
        signal: AbortSignal.timeout(this.timeoutMs),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      status = response.statusCode;
      text = await readLimited(response.body);
    } catch (err) {
      throw new GatewayError(this.opts.id, `${where} failed: ${describeNetworkError(err, this.timeoutMs)}`, 'unreachable', neverConnected(err));
    }
    if (status === 401) throw new GatewayError(this.opts.id, `${where} refused the login (HTTP 401); check USERNAME and PASSWORD`, 'configuration');
    if (status === 402) throw new GatewayError(this.opts.id, `${where} answered HTTP 402: the account has no credit`, 'refused');
    if (status !== 200) throw new GatewayError(this.opts.id, `${where} answered HTTP ${status}`, status >= 500 ? 'unreachable' : 'refused');
    const answer = parseResponse(text);
    if (!answer) throw new GatewayError(this.opts.id, `${where} answered something that is not XML-RPC`, 'unreachable');
    if ('fault' in answer) throw new GatewayError(this.opts.id, `Sipgate fault ${answer.fault.code}: ${answer.fault.message}`, 'refused');
    const code = answer.members.StatusCode;
    if (code !== '200') {
      throw new GatewayError(this.opts.id, `Sipgate status ${code ?? '(none)'}: ${answer.members.StatusString ?? ''}`.trim(), 'refused');
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

export const createSipgateProvider = (definition: GatewayDefinition): SmsProvider => new SipgateProvider(definition);
