// privacyIDEA's token endpoints for SMS tokens: enroll (/token/init), list (/token/), enable,
// disable, reset the fail counter, set the PIN and delete. Each is one call into the
// application layer the CLI's `token` commands use (src/app/token-admin.ts), so both refuse
// the same values with the same messages; what is shown never holds a key or a PIN hash.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TokenAdmin } from '../../app/token-admin.js';
import { HttpRequestError } from '../errors.js';
import { isTrue } from '../parameters.js';
import { adminResponse } from '../responses.js';
import { optional, pageRequest, parametersOf, pathOrParameter, required } from './requests.js';

export interface TokenRoutesOptions {
  readonly tokens: TokenAdmin;
  readonly now: () => number;
}

export function tokenRoutes(app: FastifyInstance, o: TokenRoutesOptions): void {
  app.post('/token/init', async (request) => {
    const params = parametersOf(request);
    const type = optional(params, 'type') ?? 'sms';
    if (type.toLowerCase() !== 'sms') throw new HttpRequestError(`parameter 'type': this server enrolls SMS tokens only (type=sms), not '${type}'`);
    const otpKeyHex = optional(params, 'otpkey');
    const genkey = isTrue(params.get('genkey'));
    // privacyIDEA wants the one or the other: a token whose key nobody chose is a mistake.
    if (otpKeyHex !== undefined && genkey) throw new HttpRequestError("give 'otpkey' or 'genkey=1', not both");
    if (otpKeyHex === undefined && !genkey) throw new HttpRequestError("missing parameter: 'otpkey' or 'genkey=1'");
    const otplen = optional(params, 'otplen');
    const verify = optional(params, 'verify_enrollment');
    const token = await o.tokens.enroll({
      username: required(params, 'user'),
      realm: optional(params, 'realm') ?? '',
      phone: optional(params, 'phone'),
      dynamicPhone: isTrue(params.get('dynamic_phone')),
      pin: params.get('pin') ?? '',
      otpKeyHex,
      otplen: otplen === undefined ? undefined : Number(otplen),
      hashlib: optional(params, 'hashlib'),
      gateway: optional(params, 'gateway'),
      serial: optional(params, 'serial'),
      verify: verify === undefined ? undefined : isTrue(verify),
      description: optional(params, 'description'),
      // A web form's number: international, or national made so by sms.default_country_code.
      internationalPhone: true,
    });
    // Only the serial: an SMS token's key never has to leave the server (no QR code, no
    // otpauth URL), so it is not handed out even with genkey.
    return adminResponse(true, { serial: token.serial }, o.now());
  });

  app.get('/token/', async (request) => {
    const params = parametersOf(request);
    const { page, pageSize } = pageRequest(params, ['pagesize', 'page_size']);
    const user = optional(params, 'user');
    const realm = optional(params, 'realm');
    const serial = optional(params, 'serial');
    const listed = await o.tokens.page(
      { ...(user === undefined ? {} : { username: user }), ...(realm === undefined ? {} : { realm }), ...(serial === undefined ? {} : { serial }) },
      page,
      pageSize,
    );
    return adminResponse({ tokens: listed.items, count: listed.count, current: listed.current, next: listed.next, prev: listed.prev }, null, o.now());
  });

  // privacyIDEA answers these with the number of tokens changed: always 1 here (one serial).
  const changes: ReadonlyArray<readonly [string, (serial: string, request: FastifyRequest) => Promise<unknown>]> = [
    ['enable', (serial) => o.tokens.setActive(serial, true)],
    ['disable', (serial) => o.tokens.setActive(serial, false)],
    ['reset', (serial) => o.tokens.reset(serial)],
    // privacyIDEA's name for the token PIN (userpin and sopin are smartcards').
    ['setpin', (serial, request) => o.tokens.set(serial, { pin: required(parametersOf(request), 'otppin') })],
  ];
  for (const [verb, change] of changes) {
    const handler = async (request: FastifyRequest) => {
      await change(pathOrParameter(request, parametersOf(request), 'serial'), request);
      return adminResponse(1, null, o.now());
    };
    app.post(`/token/${verb}/:serial`, handler);
    app.post(`/token/${verb}`, handler);
  }

  app.delete('/token/:serial', async (request) => {
    await o.tokens.delete(pathOrParameter(request, parametersOf(request), 'serial'));
    return adminResponse(1, null, o.now());
  });
}
