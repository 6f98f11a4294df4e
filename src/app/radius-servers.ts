// The RADIUS servers logins without a token may be forwarded to (passthru=radius:NAME): the
// application layer the CLI's `radius_server` commands use. What is shown has its secret
// censored; `test` asks the server with Status-Server, as `check` does.
import { NotFoundError, SmsOtpError } from '../core/errors.js';
import { probeStatusServer, type ProbeResult } from '../radius-upstream/client.js';
import { targetOf } from '../radius-upstream/forwarder.js';
import { formatAddress } from '../radius-upstream/parameters.js';

// What the CLI checks a definition by: the declaration beside the client.
export { RADIUS_SERVER_NAME, RADIUS_SERVER_PARAMETERS, parseAddress, timeoutProblem } from '../radius-upstream/parameters.js';
import type { RadiusServerDefinition } from '../radius-upstream/definition.js';
import type { Store } from '../store/index.js';
import { CENSORED } from '../gateways/definition.js';

export interface RadiusServerView {
  readonly identifier: string;
  readonly description: string;
  readonly address: string;
  readonly secret: string;
  readonly timeout: number;
  readonly requireMessageAuthenticator: boolean;
  readonly createdAt: string | null;
  readonly updatedAt: string | null;
}

/** A definition `radius_server set` refuses (a usage error: the CLI exits with status 2). */
export class RadiusServerAdminError extends SmsOtpError {
  override name = 'RadiusServerAdminError';
  readonly code = 'ERR_INVALID_VALUE';
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

export class RadiusServerAdmin {
  constructor(private readonly store: Pick<Store, 'radiusServers'>) {}

  /** Creates or replaces a server; without a secret a server's stored one is kept (a new one needs one). */
  async set(definition: Omit<RadiusServerDefinition, 'secret'> & { readonly secret: string | undefined }): Promise<void> {
    let { secret } = definition;
    if (secret === undefined) {
      secret = (await this.store.radiusServers.get(definition.identifier))?.secret;
      if (secret === undefined) throw new RadiusServerAdminError(`a new RADIUS server needs its shared secret: --secret-file FILE (or - for standard input)`);
    }
    if (secret === '') throw new RadiusServerAdminError('--secret-file: the shared secret is empty');
    await this.store.radiusServers.set({ ...definition, secret });
  }

  async list(): Promise<RadiusServerView[]> {
    const times = await this.store.radiusServers.times();
    return (await this.store.radiusServers.list()).map((s) => view(s, times.get(s.identifier)));
  }

  async show(identifier: string): Promise<RadiusServerView> {
    return view(await this.get(identifier), (await this.store.radiusServers.times(identifier)).get(identifier));
  }

  async delete(identifier: string): Promise<void> {
    if (!(await this.store.radiusServers.delete(identifier))) throw new NotFoundError(`no RADIUS server '${identifier}' ('radius_server list')`);
  }

  /** Status-Server to the server, for up to `waitMs`. */
  async probe(identifier: string, waitMs: number): Promise<ProbeResult> {
    return probeStatusServer(targetOf(await this.get(identifier)), waitMs);
  }

  private async get(identifier: string): Promise<RadiusServerDefinition> {
    const server = await this.store.radiusServers.get(identifier);
    if (!server) throw new NotFoundError(`no RADIUS server '${identifier}' ('radius_server list')`);
    return server;
  }
}

function view(def: RadiusServerDefinition, times: { createdAt: number; updatedAt: number } | undefined): RadiusServerView {
  return {
    identifier: def.identifier,
    description: def.description,
    address: formatAddress(def.host, def.port),
    secret: CENSORED,
    timeout: def.timeout,
    requireMessageAuthenticator: def.requireMessageAuthenticator,
    createdAt: iso(times?.createdAt),
    updatedAt: iso(times?.updatedAt),
  };
}
