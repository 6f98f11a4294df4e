// The length of every bounded (varchar) column of the schema, in characters, in one table.
// SQLite does not enforce varchar lengths and PostgreSQL fails with an internal error, so
// the application layer (src/app/limits.ts) checks values against this table before they
// reach either store, and names the limit. The migrations keep their own literal sizes (a
// migration is history and must not change when this file does); test/unit/column-limits
// checks on both databases that the migrated schema and this table agree, column for column.

export const COLUMN_LIMITS = {
  tokens: { serial: 40, tokentype: 16, username: 255, realm: 255, phone: 255, gateway: 64, hashlib: 8 },
  challenges: { transaction_id: 64, serial: 40, username: 255, realm: 255, client: 255 },
  sms_gateways: { identifier: 64, module: 32 },
  sms_gateway_options: { kind: 8, key: 255 },
  smtp_servers: { identifier: 64, server: 255, username: 255, sender: 255 },
  settings: { key: 255 },
  audit: { action: 16, username: 255, realm: 255, client: 255, client_address: 64 },
  store_meta: { key: 64 },
  userstores: { identifier: 64, preset: 16 },
  realms: { name: 255, userstore: 64 },
  api_keys: { key_hash: 64, role: 16 },
  pending_enrollments: { transaction_id: 64, username: 255, realm: 255, client: 255, phone: 255, phone_source: 16 },
  gateway_health: { gateway: 64 },
  sms_limits: { key: 600 },
  notifications: { identifier: 64, event: 32, gateway: 64, recipient: 64 },
  notification_clients: { username: 255, realm: 255, client: 255 },
  radius_servers: { identifier: 64, host: 255 },
  policies: { name: 64, scope: 16 },
  web_sessions: { id: 64 },
  phone_verifications: { id: 32, username: 255, realm: 255, phone: 255, mac: 64 },
  accounting_sessions: { client: 255, nas_ip_address: 45, framed_ip_address: 45, status: 8, terminate_cause: 32 },
} as const;

export type LimitedTable = keyof typeof COLUMN_LIMITS;
export type LimitedColumn<T extends LimitedTable> = keyof (typeof COLUMN_LIMITS)[T] & string;
