// The policies (src/core/policies): validated by the core before they get here; saved in the
// transaction that moves the configuration revision, so every daemon reloads them within a
// second. The conflict rule and the gateway an action names are checked inside that
// transaction, against the policies as they are then: two nodes saving at once cannot pass
// each other (the revision bump serialises every configuration change).
import type { Knex } from 'knex';
import { NotFoundError, RefusedError } from '../core/errors.js';
import { findConflict, type Policy, type PolicyAction, type PolicyConditions } from '../core/policies/policy.js';
import type { PolicyScope } from '../core/policies/actions.js';
import { changeConfiguration, nothingChanged } from './config-revision.js';

interface Row {
  name: string;
  scope: string;
  actions: string;
  conditions: string;
  priority: number;
  active: boolean | number;
}

function fromRow(r: Row): Policy {
  return {
    name: r.name,
    scope: r.scope as PolicyScope,
    actions: JSON.parse(r.actions) as PolicyAction[],
    conditions: JSON.parse(r.conditions) as PolicyConditions,
    priority: Number(r.priority),
    active: Boolean(r.active),
  };
}

/**
 * Refuses, inside a transaction that deletes what `action=value` names (a gateway: smsgateway=ID;
 * a RADIUS server: passthru=radius:NAME), when a policy sets it: a policy must never name
 * something that does not exist. `what`: the thing as the refusal names it.
 */
export async function refuseIfPoliciesName(trx: Knex.Transaction, action: 'smsgateway' | 'passthru', value: string, what: string): Promise<void> {
  const rows: Array<Pick<Row, 'name' | 'actions'>> = await trx('policies').select('name', 'actions');
  const naming = rows.filter((r) => (JSON.parse(r.actions) as PolicyAction[]).some((a) => a.key === action && a.value === value)).map((r) => r.name);
  if (naming.length > 0) {
    throw new RefusedError(`${what} is the ${action} of policy ${naming.join(', ')}; change or delete those policies first (see 'policy list')`);
  }
}

export class PolicyRepository {
  constructor(
    private readonly knex: Knex,
    private readonly now: () => number,
  ) {}

  /** Every policy, by priority then name (the order a login looks at them in). */
  async list(trx: Knex | Knex.Transaction = this.knex): Promise<Policy[]> {
    const rows: Row[] = await trx('policies').orderBy([{ column: 'priority' }, { column: 'name' }]);
    return rows.map(fromRow);
  }

  async get(name: string): Promise<Policy | undefined> {
    const row: Row | undefined = await this.knex('policies').where({ name }).first();
    return row && fromRow(row);
  }

  /** Creates or replaces a policy; refuses one that conflicts with another or names a gateway that does not exist. Returns whether it was new. */
  async set(policy: Policy): Promise<{ readonly created: boolean }> {
    return changeConfiguration(this.knex, async (trx) => {
      const conflict = findConflict(policy, await this.list(trx));
      if (conflict) throw new RefusedError(conflict);
      for (const action of policy.actions) {
        if (action.key === 'smsgateway' && !(await trx('sms_gateways').where({ identifier: action.value }).first('id'))) {
          throw new NotFoundError(`policy ${policy.name}: no gateway '${action.value}' for action smsgateway; define it first with 'gateway set ${action.value} --module ...' (see 'gateway list')`);
        }
      }
      const now = this.now();
      const row = {
        scope: policy.scope,
        actions: JSON.stringify(policy.actions),
        conditions: JSON.stringify(policy.conditions),
        priority: policy.priority,
        active: policy.active,
        updated_at: now,
      };
      const existing = await trx('policies').where({ name: policy.name }).first('name');
      if (existing) await trx('policies').where({ name: policy.name }).update(row);
      else await trx('policies').insert({ name: policy.name, ...row, created_at: now });
      return { created: !existing };
    });
  }

  /** False when there is no such policy (and then no revision moves). */
  async delete(name: string): Promise<boolean> {
    return changeConfiguration(this.knex, async (trx) => ((await trx('policies').where({ name }).delete()) > 0 ? true : nothingChanged(false)));
  }
}
