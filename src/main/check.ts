// `check` wired: the application layer's checks (src/app/check) with what they ask of the
// RADIUS front and of the daemon's start, so that what serve refuses is refused here too.
import { checkInstallation, type CheckPorts, type CheckResult } from '../app/check/index.js';
import { ClientTable } from '../radius/clients.js';
import { loadDictionaries } from '../radius/dictionary.js';
import { compileAcceptAttributes } from '../radius/reply-attributes.js';
import { requireDatabaseDirectory, storeOpenError } from '../store/open-errors.js';

const CHECK_PORTS: CheckPorts = {
  radius: {
    clients: (config) => void new ClientTable(config.radius.clients, { maxRequestTime: config.radius.max_request_time }),
    dictionaries: (config) => loadDictionaries(config.radius.dictionaries),
    acceptAttributes: (config) => void compileAcceptAttributes(config.radius),
  },
  store: { requireDatabaseDirectory, openError: storeOpenError },
};

/** Every check of this node's installation, in order; changes nothing. */
export function checkNode(configPath: string): Promise<CheckResult[]> {
  return checkInstallation(configPath, CHECK_PORTS);
}
