// The failover module's parameters (src/gateways/declare.ts says how they are read).
import type { ModuleParameters } from './declare.js';

export const FAILOVER_PARAMETERS = {
  help: 'tries other gateways in order, skipping one found unreachable for a while',
  parameters: {
    GATEWAYS: {
      required: true,
      pattern: { re: /^\s*[A-Za-z0-9._-]+\s*(,\s*[A-Za-z0-9._-]+\s*)*$/, rule: 'gateway ids in the order to try them, separated by commas, e.g. primary,backup' },
      help: 'the gateways to try, in order, separated by commas',
    },
  },
  extraOptions: 'refused',
  headers: false,
  recipient: 'phone',
} as const satisfies ModuleParameters;

/** The members of a failover gateway, in order, as its GATEWAYS option names them. */
export function failoverMembers(gateways: string): string[] {
  return gateways.split(',').map((m) => m.trim()).filter((m) => m !== '');
}
