// The gateway definitions of docs/gateways.md, run as the page writes them (read from the page
// with docsExample) against the checkout's demo store (test/helpers/checkout-sandbox.ts):
// `gateway set` checks every option as it saves, so a preset the CLI would refuse fails here.
// (Blocks that need a file or a server of their own, the Firebase key, an SMTP relay, a
// failover test send, are parsed by test/unit/docs-examples.test.ts instead.)
import { describe, expect, it } from 'vitest';
import { inCheckoutSandbox } from '../helpers/checkout-sandbox.js';
import { docsExample } from '../helpers/docs-blocks.js';

const BLOCKS = ['gateway-presets', 'gateway-sipgate', 'gateway-smpp', 'gateway-modem'];

describe('the gateway examples of docs/gateways.md, run as written', () => {
  it('saves every definition the page shows, secrets sealed and censored', async () => {
    const script = [
      'set -eu -o pipefail',
      'sms-otp-radiusd() { node "$CHECKOUT/bin/sms-otp-radiusd.js" "$@"; }   # the command as installed',
      ...BLOCKS.map((id) => docsExample(id)),
      "echo '=== list'",
      'sms-otp-radiusd gateway list --json',
      '',
    ].join('\n');
    const { stdout } = await inCheckoutSandbox('npm start', script);
    const [saved, listed] = stdout.split('=== list\n');
    expect(saved!.trim().split('\n')).toEqual([
      'gateway clickatell saved (module http)',
      'gateway gtx saved (module http)',
      'gateway twilio saved (module http)',
      'gateway sipgate saved (module sipgate)',
      'gateway smsc saved (module smpp)',
      'gateway gsm saved (module modem)',
    ]);
    const gateways = JSON.parse(listed!) as Array<{ identifier: string; options: Record<string, string> }>;
    const options = Object.fromEntries(gateways.map((g) => [g.identifier, g.options]));
    expect(options.twilio).toMatchObject({ HTTP_METHOD: 'POST', PASSWORD: '__CENSORED__', Body: '{otp}' });
    expect(options.sipgate).toMatchObject({ PASSWORD: '__CENSORED__', REGEXP: '/^00/+/' });
    expect(options.smsc).toMatchObject({ SMSC_PORT: '2775', PASSWORD: '__CENSORED__', S_ADDR_TON: '5' });
    expect(options.gsm).toMatchObject({ BAUDRATE: '115200', PIN: '__CENSORED__' });
    expect(listed).not.toMatch(/SIPGATE_PASSWORD|AUTH_TOKEN|"secret"/);
  }, 120_000);
});
