// The central SMTP servers of the smtp gateway module: the application layer the CLI's
// `smtpserver` commands use. What is shown has its password censored; a test mail takes the
// same path a gateway's mail takes.
import { NotFoundError } from '../core/errors.js';
import type { ProviderContext } from '../gateways/provider.js';
import { GatewayRegistry } from '../gateways/registry.js';
import type { Store } from '../store/index.js';
import type { SmtpServerDefinition } from '../store/smtp-servers.js';
import { smtpServerView, type SmtpServerView } from './views.js';

export class SmtpServerAdmin {
  constructor(
    private readonly store: Store,
    private readonly context: Pick<ProviderContext, 'smtpServers'>,
  ) {}

  async set(definition: SmtpServerDefinition): Promise<void> {
    await this.store.smtpServers.set(definition);
  }

  /** Every server as it may be shown (password censored), in the store's order. */
  async list(): Promise<SmtpServerView[]> {
    const times = await this.store.smtpServers.times();
    return (await this.store.smtpServers.list()).map((s) => smtpServerView(s, times.get(s.identifier)));
  }

  async show(identifier: string): Promise<SmtpServerView> {
    const server = await this.store.smtpServers.get(identifier);
    if (!server) throw new NotFoundError(`no SMTP server '${identifier}'`);
    return smtpServerView(server, (await this.store.smtpServers.times(identifier)).get(identifier));
  }

  async delete(identifier: string): Promise<void> {
    if (!(await this.store.smtpServers.delete(identifier))) throw new NotFoundError(`no SMTP server '${identifier}'`);
  }

  /** Mails `to` a test message; rejects unless the server accepted it. */
  async test(identifier: string, to: string): Promise<void> {
    // The same path a gateway takes: a throw-away smtp gateway that mails `to`, built as the
    // registry builds one (which loads nodemailer only now, not at every CLI start).
    const provider = await GatewayRegistry.instantiate(
      { identifier: `smtpserver:${identifier}`, description: '', module: 'smtp', headers: {}, options: { SMTPIDENTIFIER: identifier, MAILTO: to, SUBJECT: 'sms-otp-radiusd test', BODY: 'sms-otp-radiusd test message' } },
      { scriptDirectory: '', smtpServers: this.context.smtpServers },
    );
    try {
      await provider.send('', '');
    } finally {
      await provider.close();
    }
  }
}
