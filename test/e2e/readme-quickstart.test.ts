// The README's "A login in five minutes", run as written: `npm start` in the checkout, then the
// README's commands, letter for letter (test/unit/docs-examples.test.ts fails when the README's
// block and the LOGIN text below differ). So a newcomer's first try cannot break unseen.
//
// The README uses the checkout's demo configuration as it is: fixed ports (1812, 1813, 5080,
// 9812) and the checkout's data/. To run that literally next to other tests, the script runs in
// namespaces of its own (as root, like the rest of the suite): a network namespace (its own
// loopback, so the fixed ports are free), a mount namespace (an empty temporary directory is
// bound over data/, so the checkout's own data/ is neither read nor written) and a PID
// namespace (whatever the run leaves behind ends with it).
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers/fs.js';

const run = promisify(execFile);

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

/** Runs in the namespaces: loopback up, a fresh data/, the daemon, the README's commands, stop. */
const HARNESS = String.raw`set -eu
ip link set lo up
mount --bind "$FRESH_DATA" "$CHECKOUT/data"
cd "$CHECKOUT"
set -m
${START} > "$FRESH_DATA/daemon.log" 2>&1 &
for i in $(seq 150); do grep -q '"sms-otp-radiusd started"' "$FRESH_DATA/daemon.log" && break; sleep 0.2; done
grep -q '"sms-otp-radiusd started"' "$FRESH_DATA/daemon.log" || { cat "$FRESH_DATA/daemon.log" >&2; exit 3; }
bash "$LOGIN_SCRIPT"
kill -TERM -- -$!
wait || true
`;

describe("the README's five-minute login", () => {
  const dir = tempDir('smsotp-readme-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('npm start, then the README commands as written: PIN → Access-Challenge and an SMS, OTP with the State → Access-Accept', async () => {
    const fresh = path.join(dir, 'data');
    mkdirSync(fresh);
    writeFileSync(path.join(dir, 'login.sh'), LOGIN);
    writeFileSync(path.join(dir, 'harness.sh'), HARNESS);
    const env: NodeJS.ProcessEnv = { ...process.env, CHECKOUT: ROOT, FRESH_DATA: fresh, LOGIN_SCRIPT: path.join(dir, 'login.sh') };
    delete env.SMS_OTP_RADIUSD_CONFIG; // the README's commands find the checkout's config by themselves
    const { stdout } = await run('unshare', ['--mount', '--net', '--pid', '--fork', '--kill-child', 'bash', path.join(dir, 'harness.sh')], {
      env,
      timeout: 90_000,
    });

    const [round1, round2] = stdout.split(/^Sent Access-Request/m).slice(1);
    expect(round1).toMatch(/Received Access-Challenge/);
    expect(round1).toContain('Reply-Message = "Enter the OTP from the SMS:"');
    expect(round2).toMatch(/Received Access-Accept/);
    expect(round2).toContain('Reply-Message = "Access granted"');
    // The SMS went to the log file through the example Script gateway, and its OTP logged in.
    const sms = readFileSync(path.join(fresh, 'sms.log'), 'utf8').trim().split('\n');
    expect(sms).toHaveLength(1);
    expect(sms[0]).toMatch(/^\S+ \+491701234567 \d{6}$/);
    expect(round2).toContain(`User-Password = "${sms[0]!.split(' ')[2]}"`);
  }, 120_000);
});
