#!/usr/bin/env node
// Thin launcher: the daemon and CLI are compiled from src/ to dist/ by `npm ci` (prepare script)
// in a checkout; the tarball of `npm pack` ships dist/ (a global install compiles nothing).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('sms-otp-radiusd: dist/ is missing; run `npm run build` in the checkout first\n');
  process.exit(70);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
