// What the admin pages (src/web/pages/admin*.ts) call: the application layer's gateway,
// settings, policy and API key services, the changes made through it with their audit rows
// (src/app/audited-changes.ts), and the dashboard's counts. The composition root
// (src/main/web.ts) builds it from the daemon's objects.
import type { ApiKeyAdmin } from '../app/api-keys.js';
import type { AuditedChanges } from '../app/audited-changes.js';
import type { GatewayAdmin } from '../app/gateway-admin.js';
import type { PolicyAdmin } from '../app/policy-admin.js';
import type { SettingsAdmin } from '../app/settings-admin.js';
import type { AuditRecord } from '../app/audit.js';
import type { Dashboard } from '../app/dashboard.js';

export interface AdminServices {
  readonly gateways: Pick<GatewayAdmin, 'list'>;
  /** A test SMS through a gateway, audited with the operator; resolves with the gateway that took it. */
  readonly testSend: (t: { readonly gateway: string; readonly phone: string; readonly message: string; readonly operator: string; readonly origin: string }) => Promise<string>;
  readonly settings: Pick<SettingsAdmin, 'list'>;
  readonly policies: Pick<PolicyAdmin, 'list' | 'get'>;
  readonly apiKeys: Pick<ApiKeyAdmin, 'list'>;
  /** Every change of these pages, made and audited with the operator. */
  readonly changes: AuditedChanges;
  /** The counts the dashboard charts (src/app/dashboard.ts), ready for Chart.js. */
  readonly dashboard: Pick<Dashboard, 'view'>;
  /** The newest test sends (audit rows of action gateway-test), oldest first. */
  readonly recentTests: () => Promise<readonly AuditRecord[]>;
}
