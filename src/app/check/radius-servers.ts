// The RADIUS servers logins may be forwarded to (passthru=radius:NAME): the one passthru names
// must exist, and each is asked with Status-Server whether it is up. Many servers answer no
// Status-Server (FreeRADIUS only with status_server = yes): silence is said, not failed.
import { PASSTHRU_RADIUS_PREFIX } from '../../core/settings.js';
import { probeStatusServer } from '../../radius-upstream/client.js';
import { targetOf } from '../../radius-upstream/forwarder.js';
import { formatAddress } from '../../radius-upstream/parameters.js';
import type { Contents } from './contents.js';
import { reasonOf, type Findings } from './findings.js';

/** How long `check` waits for each server's Status-Server answer. */
const PROBE_MS = 2_000;

export async function checkRadiusServers(c: Contents, f: Findings): Promise<void> {
  if (!(await c.hasTable('radius_servers'))) return;
  const identifiers = await c.radiusServers.identifiers();
  const passthru = (await c.settings.stored()).get('passthru');
  if (passthru?.startsWith(PASSTHRU_RADIUS_PREFIX)) {
    const name = passthru.slice(PASSTHRU_RADIUS_PREFIX.length);
    if (!identifiers.includes(name)) {
      f.fail('radius server', `passthru forwards to ${passthru}, which is not defined: 'radius_server set ${name} --address HOST:PORT --secret-file FILE', or 'setting set passthru false'`);
    }
  }
  if (!identifiers.length) return;
  if (!c.canOpen) {
    f.note('radius servers', `${identifiers.length} defined, not probed: their secrets need the store's key file`);
    return;
  }
  for (const identifier of identifiers) {
    let label = identifier;
    try {
      const server = await c.radiusServers.get(identifier);
      if (!server) continue; // deleted meanwhile
      label = `${identifier} (${formatAddress(server.host, server.port)})`;
      const probe = await probeStatusServer(targetOf(server), PROBE_MS);
      if (probe.kind === 'answered') f.ok('radius server', `${label}: answers Status-Server (${probe.ms} ms)`);
      else if (probe.detail.startsWith('answers refused')) f.fail('radius server', `${label}: ${probe.detail}`);
      else f.note('radius server', `${label}: not probed: ${probe.detail} (many servers answer none; FreeRADIUS with status_server = yes); try a login`);
    } catch (err) {
      f.fail('radius server', `${label}: cannot open its sealed secret: ${reasonOf(err)}`);
    }
  }
}
