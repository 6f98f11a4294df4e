// The connections to one user store's directory servers. The service account's connection is
// opened once and reused; one that was lost (server restart, idle timeout, network) is
// rebuilt at the next use. The URIs are tried in the configured order, except that a server
// that failed recently is tried after the others. Each connect and each operation has the
// user store's timeout, which stays below the NAS's so that a dead server costs a fallback,
// not the login.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Client, InvalidCredentialsError, ResultCodeError } from 'ldapts';
import { DirectoryUnavailable } from '../core/errors.js';
import { describeFsError } from '../errors.js';

export interface LdapTarget {
  readonly identifier: string;
  readonly uris: readonly string[];
  readonly bindDn: string;
  readonly bindPassword: string;
  readonly starttls: boolean;
  readonly caFile: string | null;
  /** Seconds. */
  readonly timeout: number;
}

/** A server that failed is tried after the others for this long. */
const DEMOTED_MS = 30_000;

/** Why a server could not be used, in the operator's words (the LDAP result or the socket's error). */
export function describeLdapError(err: unknown): string {
  if (err instanceof ResultCodeError) return `${err.message.replace(/\s+$/, '')} (LDAP result ${err.code})`;
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ECONNREFUSED') return 'connection refused (ECONNREFUSED): is the server running, and is this its port?';
  if (e?.code === 'ENOTFOUND') return 'host name not found (ENOTFOUND)';
  if (e?.code === 'ECONNRESET') return 'connection reset by the server (ECONNRESET)';
  if (e?.code === 'EHOSTUNREACH' || e?.code === 'ENETUNREACH') return `host unreachable (${e.code})`;
  const message = (e?.message ?? String(err)).split('\n')[0]?.replace(/\s+/g, ' ').trim() ?? '';
  const described = e?.code && !message.includes(e.code) ? `${message} (${e.code})` : message;
  if (e?.code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `${described}: the server's certificate does not name this host; use a name it carries in --uri`;
  if (e?.code && UNTRUSTED_CERTIFICATE.has(e.code)) return `${described}: the server's certificate is not trusted; give the CA that issued it with --ca-file`;
  return described;
}

/** OpenSSL's verdicts on a certificate chain that does not lead to a trusted CA. */
const UNTRUSTED_CERTIFICATE = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

/** The directory answered, with a refusal: another server of the same directory would say the same. */
const isAnswer = (err: unknown) => err instanceof ResultCodeError;

export class LdapConnections {
  private service: { uri: string; client: Promise<Client> } | undefined;
  private readonly failedAt = new Map<string, number>();
  private ca: ConnectionOptions | undefined;

  constructor(
    private readonly target: LdapTarget,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Runs `operation` on the service account's connection, on the first server that answers.
   * A refusal by the directory (no such base DN, say) is final; a server that cannot be
   * reached, or a connection that breaks, passes the operation to the next one.
   */
  async withService<T>(operation: (client: Client) => Promise<T>): Promise<T> {
    const failures: string[] = [];
    for (const uri of this.order()) {
      let reused = this.service?.uri === uri;
      for (;;) {
        let client: Client;
        try {
          client = await this.serviceClient(uri);
        } catch (err) {
          if (err instanceof DirectoryUnavailable) throw err;
          failures.push(`${uri}: ${describeLdapError(err)}`);
          break;
        }
        try {
          return await operation(client);
        } catch (err) {
          if (isAnswer(err)) throw new DirectoryUnavailable(`user store ${this.target.identifier} (${uri}): ${describeLdapError(err)}`);
          this.dropService(uri);
          // A connection kept from earlier may simply have gone stale: once more, freshly.
          if (reused) {
            reused = false;
            continue;
          }
          this.failedAt.set(uri, this.now());
          failures.push(`${uri}: ${describeLdapError(err)}`);
          break;
        }
      }
    }
    throw new DirectoryUnavailable(`user store ${this.target.identifier}: no directory server answered: ${failures.join('; ')}`);
  }

  /**
   * Binds as `dn` with `password` on a connection of its own (the service connection keeps
   * its identity). True when the directory accepts the password, false when it refuses it.
   * An empty password is never sent: LDAP takes it for an anonymous bind, which succeeds.
   */
  async checkPassword(dn: string, password: string): Promise<boolean> {
    if (password === '' || dn === '') return false;
    const failures: string[] = [];
    for (const uri of this.order()) {
      const client = this.newClient(uri);
      try {
        await this.secure(client, uri);
        await client.bind(dn, password);
        return true;
      } catch (err) {
        if (err instanceof InvalidCredentialsError) return false;
        if (isAnswer(err)) throw new DirectoryUnavailable(`user store ${this.target.identifier} (${uri}): bind as the user: ${describeLdapError(err)}`);
        this.failedAt.set(uri, this.now());
        failures.push(`${uri}: ${describeLdapError(err)}`);
      } finally {
        await client.unbind().catch(() => undefined);
      }
    }
    throw new DirectoryUnavailable(`user store ${this.target.identifier}: no directory server answered: ${failures.join('; ')}`);
  }

  async close(): Promise<void> {
    const service = this.service;
    this.service = undefined;
    if (service) await service.client.then((c) => c.unbind()).catch(() => undefined);
  }

  /** The URIs in configured order, those that failed lately last. */
  private order(): string[] {
    const now = this.now();
    const recent = (uri: string) => now - (this.failedAt.get(uri) ?? -Infinity) < DEMOTED_MS;
    return [...this.target.uris.filter((u) => !recent(u)), ...this.target.uris.filter(recent)];
  }

  private serviceClient(uri: string): Promise<Client> {
    if (this.service?.uri === uri) {
      const kept = this.service.client;
      return kept.then((client) => {
        if (client.isConnected) return client;
        // Closed under us: ldapts would reconnect without the bind (and without STARTTLS).
        this.dropService(uri);
        return this.serviceClient(uri);
      });
    }
    void this.close();
    const client = this.openService(uri);
    this.service = { uri, client };
    client.catch(() => {
      if (this.service?.client === client) this.service = undefined;
      this.failedAt.set(uri, this.now());
    });
    return client;
  }

  private async openService(uri: string): Promise<Client> {
    const client = this.newClient(uri);
    try {
      await this.secure(client, uri);
      await client.bind(this.target.bindDn, this.target.bindPassword);
      return client;
    } catch (err) {
      await client.unbind().catch(() => undefined);
      if (err instanceof InvalidCredentialsError) {
        throw new DirectoryUnavailable(
          `user store ${this.target.identifier} (${uri}): the directory refused the service account ${this.target.bindDn}: ` +
            `invalid credentials; correct --bind-dn or --bind-password-file with 'userstore set ${this.target.identifier} ...'`,
        );
      }
      throw err;
    }
  }

  private dropService(uri: string): void {
    if (this.service?.uri !== uri) return;
    const { client } = this.service;
    this.service = undefined;
    void client.then((c) => c.unbind()).catch(() => undefined);
  }

  private newClient(uri: string): Client {
    const ms = this.target.timeout * 1000;
    // TLS options for ldaps:// only: ldapts speaks TLS from the first byte whenever it is given
    // any, which an ldap:// port (STARTTLS or not) answers by closing the connection.
    const tlsOptions = uri.startsWith('ldaps:') ? this.tlsOptions(uri) : undefined;
    return new Client({ url: uri, timeout: ms, connectTimeout: ms, tlsOptions });
  }

  /** STARTTLS before anything else is said, when the user store asks for it on ldap://. */
  private async secure(client: Client, uri: string): Promise<void> {
    if (this.target.starttls) await client.startTLS(this.tlsOptions(uri));
  }

  /**
   * A fresh object per connection (ldapts's startTLS writes the socket into it). The URI's host
   * is named explicitly: over STARTTLS's existing socket Node would otherwise check the
   * certificate against "localhost"; and it goes out as SNI unless it is an IP address.
   */
  private tlsOptions(uri: string): ConnectionOptions {
    const host = new URL(uri).hostname.replace(/^\[(.*)\]$/, '$1');
    return { ...this.caOptions(), host, ...(isIP(host) ? {} : { servername: host }) };
  }

  private caOptions(): ConnectionOptions {
    if (this.ca) return this.ca;
    if (this.target.caFile === null) return (this.ca = {});
    try {
      return (this.ca = { ca: readFileSync(this.target.caFile) });
    } catch (err) {
      throw new DirectoryUnavailable(`user store ${this.target.identifier}: cannot read --ca-file ${this.target.caFile}: ${describeFsError(err)}`);
    }
  }
}
