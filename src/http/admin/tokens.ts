// privacyIDEA's token endpoints for SMS tokens: enroll (/token/init), list (/token/), enable,
// disable, reset the fail counter, set the PIN and delete. Each is one call into the
// application layer the CLI's `token` commands use (src/app/token-admin.ts), so both refuse
// the same values with the same messages; what is shown never holds a key or a PIN hash. Every
// change writes an audit row naming the API key that made it (src/app/audited-token-changes.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TokenAdmin } from '../../app/token-admin.js';
import type { AuditedTokenChanges } from '../../app/audited-token-changes.js';
import type { ChangeActor } from '../../app/audited-changes.js';
import { HttpRequestError } from '../errors.js';
import { isTrue } from '../parameters.js';
import { adminResponse } from '../responses.js';
import { optional, pageRequest, parametersOf, pathOrParameter, required } from './requests.js';

export interface TokenRoutesOptions {
  /** The token list (reading only: no row). */
  readonly tokens: Pick<TokenAdmin, 'page'>;
  readonly changes: AuditedTokenChanges;
  /** Who a request's audit rows name: its API key. */
  readonly actorOf: (request: FastifyRequest) => ChangeActor;
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
    const token = await o.changes.enroll(o.actorOf(request), {
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
    ['enable', (serial, request) => o.changes.setActive(o.actorOf(request), serial, true)],
    ['disable', (serial, request) => o.changes.setActive(o.actorOf(request), serial, false)],
    ['reset', (serial, request) => o.changes.reset(o.actorOf(request), serial)],
    // privacyIDEA's name for the token PIN (userpin and sopin are smartcards').
    ['setpin', (serial, request) => o.changes.set(o.actorOf(request), serial, { pin: required(parametersOf(request), 'otppin') })],
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
    await o.changes.delete(o.actorOf(request), pathOrParameter(request, parametersOf(request), 'serial'));
    return adminResponse(1, null, o.now());
  });
}
