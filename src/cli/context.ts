// What every command module gets from the program: a way to run with the application layer
// on an open store (src/main/session.ts builds it), and for the helpdesk commands the same
// with the user directory and the login core (src/main/helpdesk.ts).
import type { Command } from 'commander';
import type { Admin } from '../main/admin.js';
import { operatorName, type HelpdeskServices } from '../main/helpdesk.js';
import type { ChangeActor } from '../app/audited-changes.js';
import { CLI_CLIENT } from '../app/helpdesk.js';

export type WithAdmin = <T>(cmd: Command, fn: (admin: Admin) => Promise<T>) => Promise<T>;

export type WithHelpdesk = <T>(cmd: Command, fn: (services: HelpdeskServices) => Promise<T>) => Promise<T>;

/** Who makes a change from the CLI, as the audit names them: the operating-system account (no address). */
export const cliActor = (): ChangeActor => ({ operator: operatorName(), client: CLI_CLIENT, address: '' });
