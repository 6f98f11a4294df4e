// The man page sms-otp-radiusd(8) is generated from the CLI's command tree (scripts/man.mjs,
// `npm run man`); the committed man/sms-otp-radiusd.8 must be exactly what it generates now,
// so a changed command or option cannot leave the page behind, and it renders without a warning.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/fs.js';

const run = promisify(execFile);
const PAGE = path.join(ROOT, 'man/sms-otp-radiusd.8');

describe('man page sms-otp-radiusd(8)', () => {
  it('is what `npm run man` writes from the command tree now (run it after changing a command)', async () => {
    const { stdout } = await run(process.execPath, [path.join(ROOT, 'scripts/man.mjs'), '--stdout']);
    expect(readFileSync(PAGE, 'utf8'), 'man/sms-otp-radiusd.8 is stale: run `npm run man`').toBe(stdout);
  });

  it('names every command with its options, as --help does', async () => {
    const page = readFileSync(PAGE, 'utf8');
    for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'COMMANDS', 'EXIT STATUS', 'FILES', 'ENVIRONMENT', 'SEE ALSO']) {
      expect(page).toContain(`.SH ${section}\n`);
    }
    const { stdout } = await run(process.execPath, [path.join(ROOT, 'bin/sms-otp-radiusd.js'), 'token', 'enroll', '--help']);
    expect(page).toContain('.SS "sms\\-otp\\-radiusd token enroll [options]"');
    for (const flag of stdout.match(/--[a-z-]+/g)!.filter((f) => f !== '--help')) expect(page).toContain(`.B ${flag.replace(/-/g, '\\-')}`);
  });

  it('renders with groff and man without a warning', async () => {
    const groff = await run('groff', ['-man', '-ww', '-z', PAGE]);
    expect(groff.stderr).toBe('');
    const man = await run('man', ['-l', PAGE], { env: { ...process.env, MANWIDTH: '80' } });
    expect(man.stderr).toBe('');
    // Not at a terminal, man prints bold and underline as overstrikes (c\bc): read the letters.
    expect(man.stdout.replace(/.\x08/g, '')).toContain('sms-otp-radiusd token enroll [options]');
  });
});
