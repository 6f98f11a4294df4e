// What gateway providers need from the node: its script directory, the store's SMTP servers,
// and the site's gateway health (failover members blocked after being unreachable).
import type { EventSink } from '../core/ports.js';
import type { ProviderContext } from '../gateways/provider.js';
import type { Runtime } from './runtime.js';

export function providerContext(rt: Pick<Runtime, 'config' | 'store'>, events?: EventSink): ProviderContext {
  return {
    scriptDirectory: rt.config.providers.script_directory,
    smtpServers: rt.store.smtpServers,
    health: rt.store.gatewayHealth,
    ...(events ? { events } : {}),
  };
}
