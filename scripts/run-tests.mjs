#!/usr/bin/env node
// Runs vitest and ends with the plain "N passed, N failed" line CI reads; exits as vitest did.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';

mkdirSync('reports', { recursive: true });
const report = 'reports/vitest.json';
const run = spawnSync(
  process.execPath,
  ['node_modules/vitest/vitest.mjs', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
let summary = 'no report written';
try {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  // A file whose hooks fail fails none of its tests by count: report failed files too.
  const failedFiles = r.testResults.filter((file) => file.status === 'failed').length;
  summary = `${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : '') +
    (failedFiles ? `, ${failedFiles} test file(s) failed` : '');
} catch {
  /* vitest crashed before writing its report; its exit status tells */
}
console.log(summary);
process.exit(run.status ?? 1);
