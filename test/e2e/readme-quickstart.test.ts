// The README's "A login in five minutes", run as written: `npm start` in the checkout, then the
// README's commands, letter for letter (test/unit/docs-examples.test.ts fails when the README's
// block and the LOGIN text below differ). So a newcomer's first try cannot break unseen. The
// run uses the checkout's demo configuration, fixed ports and data/ included, in namespaces of
// its own (test/helpers/checkout-sandbox.ts).
import { describe, expect, it } from 'vitest';
import { inCheckoutSandbox } from '../helpers/checkout-sandbox.js';

/** The README's first command after `npm ci` (which `npm test` has run already). */
const START = 'npm start';

/** The README's five-minute login, as the README shows it. */
const LOGIN = String.raw`npx sms-otp-radiusd gateway set logfile --module script --option SCRIPT=log-sms.sh --option BACKGROUND=wait
npx sms-otp-radiusd setting set sms.identifier logfile
echo 1234 | npx sms-otp-radiusd token enroll --user alice --phone +491701234567 --pin -
printf 'User-Name = "alice"\nUser-Password = "1234"\nMessage-Authenticator = 0x00\n' | radclient -x 127.0.0.1 auth testing123 | tee data/round1.txt
tail -1 data/sms.log          # the SMS: time, number, OTP
STATE=$(grep -o 'State = 0x[0-9a-f]*' data/round1.txt | cut -d' ' -f3)
OTP=$(tail -1 data/sms.log | cut -d' ' -f3)
printf 'User-Name = "alice"\nUser-Password = "%s"\nState = %s\nMessage-Authenticator = 0x00\n' "$OTP" "$STATE" | radclient -x 127.0.0.1 auth testing123
`;

/** The README's web UI step: the command, then the sign-in a person makes in the browser (test/helpers/readme-ui-sign-in.mjs). */
const UI = String.raw`npx sms-otp-radiusd policy set admins --scope admin --user alice --action role=admin
`;
const BROWSER = 'node test/helpers/readme-ui-sign-in.mjs\n';

describe("the README's five-minute login", () => {
  it('npm start, then the README commands as written: PIN → Access-Challenge and an SMS, OTP with the State → Access-Accept; then the web UI', async () => {
    const { stdout, data } = await inCheckoutSandbox(START, LOGIN + UI + BROWSER);

    const [round1, round2] = stdout.split(/^Sent Access-Request/m).slice(1);
    expect(round1).toMatch(/Received Access-Challenge/);
    expect(round1).toContain('Reply-Message = "Enter the OTP from the SMS:"');
    expect(round2).toMatch(/Received Access-Accept/);
    expect(round2).toContain('Reply-Message = "Access granted"');
    // The SMS went to the log file through the example Script gateway, and its OTP logged in.
    const sms = data['sms.log']!.trim().split('\n');
    expect(sms.length).toBeGreaterThanOrEqual(1);
    expect(sms[0]).toMatch(/^\S+ \+491701234567 \d{6}$/);
    expect(round2).toContain(`User-Password = "${sms[0]!.split(' ')[2]}"`);
    // Then the web UI: the sign-in sent a second SMS, whose code opened the administrator's dashboard.
    expect(sms).toHaveLength(2);
    expect(stdout).toContain('new sms: true');
    expect(stdout).toContain('url: /ui/admin');
    expect(stdout).toMatch(/^heading: Dashboard$/m);
    expect(stdout).toMatch(/^nav: My account, Helpdesk, Dashboard, Gateways, Policies, Settings, API keys$/m);
  }, 120_000);
});
