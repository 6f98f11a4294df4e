// HTTP provider: any SMS gateway with a plain GET or POST API (Clickatell, GTX, Twilio, Kannel...).
import { request, type Dispatcher } from 'undici';
import { createDispatcher, describeNetworkError, neverConnected, readLimited } from './http-client.js';
import type { GatewayDefinition } from './definition.js';
import { fillTags, rewritePhone } from './phone.js';
import { GatewayError, Options, type SmsProvider } from './provider.js';
import { HTTP_PARAMETERS } from './http-parameters.js';

const OK_STATUS = new Set([200, 201, 202]);

export class HttpProvider implements SmsProvider {
  private readonly opts: Options;
  private readonly url: URL;
  private readonly method: 'GET' | 'POST';
  private readonly json: boolean;
  private readonly timeoutMs: number;
  private readonly authorization: string | undefined;
  private readonly dispatcher: Dispatcher;
  private readonly headers: Record<string, string>;

  constructor(definition: GatewayDefinition) {
    this.opts = new Options(definition, HTTP_PARAMETERS);
    const raw = this.opts.required('URL');
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new GatewayError(this.opts.id, `option URL is not a valid URL`, 'configuration');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new GatewayError(this.opts.id, `option URL must start with http:// or https://`, 'configuration');
    }
    // Credentials in the URL (user:pw@host) are basic auth, as in privacyIDEA; USERNAME/PASSWORD win.
    const username = this.opts.get('USERNAME') ?? decodeURIComponent(url.username);
    const password = this.opts.get('PASSWORD') ?? decodeURIComponent(url.password);
    url.username = '';
    url.password = '';
    this.url = url;
    this.authorization = username || password ? `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` : undefined;
    // HTTP_METHOD, else privacyIDEA's older HTTP_Method, else the declared default.
    const legacyMethod = this.opts.given('HTTP_METHOD') === undefined ? this.opts.given('HTTP_Method') : undefined;
    this.method = legacyMethod?.toUpperCase() === 'POST' ? 'POST' : this.opts.oneOf('HTTP_METHOD', ['GET', 'POST'] as const);
    this.json = this.opts.yesNo('SEND_DATA_AS_JSON');
    this.timeoutMs = this.opts.seconds('TIMEOUT') * 1000;
    this.headers = { ...definition.headers };
    const verify = this.opts.yesNo('CHECK_SSL');
    const proxy =
      (url.protocol === 'https:' ? this.opts.get('HTTPS_PROXY') : this.opts.get('HTTP_PROXY')) ?? this.opts.get('PROXY');
    this.dispatcher = createDispatcher({ proxy, verifyTls: verify, timeoutMs: this.timeoutMs });
  }

  /** Where requests go, for logs and errors: no credentials, no query (it may hold the OTP). */
  private get where(): string {
    return `${this.url.origin}${this.url.pathname}`;
  }

  private parameters(phone: string, message: string): Array<[string, string]> {
    const params: Array<[string, string]> = [];
    // Legacy style: fixed PARAMETER plus the names of the phone and text parameters.
    const fixed = this.opts.get('PARAMETER');
    if (fixed !== undefined) params.push(...parseFixedParameters(this.opts.id, fixed));
    const phoneKey = this.opts.get('SMS_PHONENUMBER_KEY');
    const textKey = this.opts.get('SMS_TEXT_KEY');
    if (phoneKey) params.push([phoneKey, phone]);
    if (textKey) params.push([textKey, message]);
    for (const [key, value] of this.opts.extra()) params.push([key, fillTags(value, phone, message)]);
    return params;
  }

  async send(rawPhone: string, message: string): Promise<void> {
    const phone = rewritePhone(rawPhone, this.opts.get('REGEXP'));
    const params = this.parameters(phone, message);
    const url = new URL(this.url);
    const headers: Record<string, string> = { ...this.headers };
    if (this.authorization) headers.authorization = this.authorization;
    let body: string | undefined;
    if (this.method === 'GET') {
      for (const [k, v] of params) url.searchParams.append(k, v);
    } else if (this.json) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(Object.fromEntries(params));
    } else {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(params).toString();
    }
    let status: number;
    let text: string;
    try {
      const response = await request(url, {
        method: this.method,
        headers,
        body,
        dispatcher: this.dispatcher,
        signal: AbortSignal.timeout(this.timeoutMs),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      status = response.statusCode;
      text = await readLimited(response.body);
    } catch (err) {
      throw new GatewayError(this.opts.id, `${this.method} ${this.where} failed: ${describeNetworkError(err, this.timeoutMs)}`, 'unreachable', neverConnected(err));
    }
    if (!OK_STATUS.has(status)) {
      // 5xx: the gateway is in trouble (another may take the message); anything else is its answer.
      throw new GatewayError(this.opts.id, `${this.method} ${this.where} answered HTTP ${status}`, status >= 500 ? 'unreachable' : 'refused');
    }
    const success = this.opts.get('RETURN_SUCCESS');
    const fail = this.opts.get('RETURN_FAIL');
    if (success !== undefined) {
      if (!text.includes(success)) {
        throw new GatewayError(this.opts.id, `response of ${this.where} lacks the RETURN_SUCCESS text`, 'refused');
      }
    } else if (fail !== undefined && text.includes(fail)) {
      throw new GatewayError(this.opts.id, `response of ${this.where} contains the RETURN_FAIL text`, 'refused');
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

/** PARAMETER holds fixed parameters as a JSON object or as k=v&k2=v2. */
function parseFixedParameters(id: string, fixed: string): Array<[string, string]> {
  const trimmed = fixed.trim();
  if (trimmed.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        return Object.entries(parsed).map(([k, v]) => [k, String(v)]);
      }
    } catch {
      /* reported below */
    }
    throw new GatewayError(id, 'option PARAMETER must be a JSON object or k=v&k2=v2', 'configuration');
  }
  return [...new URLSearchParams(trimmed)];
}

export const createHttpProvider = (definition: GatewayDefinition): SmsProvider => new HttpProvider(definition);
