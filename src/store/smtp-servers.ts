import { changeConfiguration, nothingChanged } from './config-revision.js';
// Central SMTP server definitions, used by the SMTP gateway through SMTPIDENTIFIER.
import type { Knex } from 'knex';
import type { SecretBox } from '../crypto/secretbox.js';
import { CENSORED, type SmtpServerDefinition } from '../gateways/definition.js';
import { definitionTimes, type DefinitionTimes } from './gateways.js';

export type { SmtpServerDefinition } from '../gateways/definition.js';

interface Row {
  identifier: string;
  description: string;
  server: string;
  port: number;
  username: string | null;
  password: string | null;
  sender: string | null;
  tls: boolean | number;
  timeout: number;
  ca_file: string | null;
}

const passwordContext = (identifier: string) => `smtp:${identifier}:password`;

export class SmtpServerRepository {
  constructor(
    private readonly knex: Knex,
    private readonly box: SecretBox,
    private readonly now: () => number,
  ) {}

  private fromRow(row: Row): SmtpServerDefinition {
    return {
      identifier: row.identifier,
      description: row.description,
      server: row.server,
      port: Number(row.port),
      username: row.username,
      password: row.password === null ? null : this.box.openString(row.password, passwordContext(row.identifier)),
      sender: row.sender,
      tls: Boolean(row.tls),
      timeout: Number(row.timeout),
      caFile: row.ca_file,
    };
  }

  async get(identifier: string): Promise<SmtpServerDefinition | undefined> {
    const row: Row | undefined = await this.knex('smtp_servers').where({ identifier }).first();
    return row ? this.fromRow(row) : undefined;
  }

  /** Created and updated times, by identifier (all servers, or the one named). */
  times(identifier?: string): Promise<Map<string, DefinitionTimes>> {
    return definitionTimes(this.knex, 'smtp_servers', identifier);
  }

  /** Every server's identifier, without opening anything sealed. */
  async identifiers(): Promise<string[]> {
    return ((await this.knex('smtp_servers').select('identifier').orderBy('identifier')) as Array<{ identifier: string }>).map((r) => r.identifier);
  }

  async exists(identifier: string): Promise<boolean> {
    return (await this.knex('smtp_servers').where({ identifier }).first('identifier')) !== undefined;
  }

  async list(): Promise<SmtpServerDefinition[]> {
    const rows: Row[] = await this.knex('smtp_servers').orderBy('identifier');
    return rows.map((r) => this.fromRow(r));
  }

  /** Creates or replaces a definition; a password given as CENSORED keeps the stored one. */
  async set(def: SmtpServerDefinition): Promise<void> {
    let password = def.password;
    if (password === CENSORED) {
      const previous = await this.get(def.identifier);
      if (!previous?.password) throw new Error(`password is ${CENSORED} but no stored password exists to keep; give the real one`);
      password = previous.password;
    }
    await changeConfiguration(this.knex, (trx) => this.write(trx, { ...def, password }));
  }

  /** Creates or replaces a definition (its password in the clear) inside the caller's transaction. */
  async write(trx: Knex.Transaction, def: SmtpServerDefinition): Promise<void> {
    const { password } = def;
    const now = this.now();
    const row = {
      identifier: def.identifier,
      description: def.description,
      server: def.server,
      port: def.port,
      username: def.username,
      password: password === null ? null : this.box.seal(password, passwordContext(def.identifier)),
      sender: def.sender,
      tls: def.tls,
      timeout: def.timeout,
      ca_file: def.caFile,
      updated_at: now,
    };
    await trx('smtp_servers').insert({ ...row, created_at: now }).onConflict('identifier').merge(row);
  }

  async delete(identifier: string): Promise<boolean> {
    // Nothing deleted moves no revision (every daemon would reload for nothing).
    return changeConfiguration(this.knex, async (trx) => ((await trx('smtp_servers').where({ identifier }).delete()) > 0 ? true : nothingChanged(false)));
  }
}

/** A copy safe to print: the password censored. */
export function censorSmtpServer(def: SmtpServerDefinition): SmtpServerDefinition {
  return { ...def, password: def.password === null ? null : CENSORED };
}
