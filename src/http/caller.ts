// Who an HTTP request comes from, for the login core's same-challenge-again rule (two HTTP
// callers are two logins, never one shared single-use transaction): the caller's address
// (the TCP peer, or the X-Forwarded-For hop a trusted proxy names: request.ip, as fastify's
// trustProxy resolves it from http.trusted_proxies), plus privacyIDEA's `client` parameter
// where it may be believed. privacyIDEA honours `client` only from callers its
// OverrideAuthorizationClient policy names; the equivalent here is http.trusted_proxies. From
// any other caller the parameter is ignored: anyone could otherwise pose as another caller
// and join its login.
import { BlockList, isIP, isIPv4 } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { HttpRequestError } from './errors.js';
import type { Parameters } from './parameters.js';

export type CallerOf = (request: FastifyRequest, params: Parameters) => string;

/** The caller identity function for these trusted proxies (CIDRs or addresses, as http.trusted_proxies). */
export function callerIdentity(trustedProxies: readonly string[]): CallerOf {
  const trusted = new BlockList();
  for (const entry of trustedProxies) {
    const [address = '', bits] = entry.split('/');
    const family = isIPv4(address) ? 'ipv4' : 'ipv6';
    trusted.addSubnet(address, bits === undefined ? (family === 'ipv4' ? 32 : 128) : Number(bits), family);
  }
  const isTrusted = (peer: string | undefined): boolean => {
    if (peer === undefined || trustedProxies.length === 0) return false;
    const plain = peer.startsWith('::ffff:') && isIPv4(peer.slice(7)) ? peer.slice(7) : peer;
    const family = isIP(plain);
    return family !== 0 && trusted.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  };
  return (request, params) => {
    const named = params.get('client');
    if (named === undefined || named === '' || !isTrusted(request.socket.remoteAddress)) return `http ${request.ip}`;
    if (isIP(named) === 0) throw new HttpRequestError("parameter 'client' must be an IP address");
    return `http ${request.ip} client ${named}`;
  };
}
