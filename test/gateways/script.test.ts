// The Script provider running real shell scripts.
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScriptProvider } from '../../src/gateways/script.js';
import { tempDir } from '../helpers/fs.js';

function scriptDir(scripts: Record<string, string>): string {
  const dir = path.join(tempDir(), 'scripts');
  mkdirSync(dir);
  for (const [name, body] of Object.entries(scripts)) {
    writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(path.join(dir, name), 0o755);
  }
  return dir;
}

const provider = (dir: string, options: Record<string, string>) =>
  new ScriptProvider({ identifier: 'gw-script', description: '', module: 'script', options, headers: {} }, { scriptDirectory: dir, smtpServers: { get: async () => undefined } });

async function waitFor(file: string): Promise<string> {
  for (let i = 0; i < 100 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 20));
  return readFileSync(file, 'utf8');
}

describe('Script provider', () => {
  it('passes the rewritten phone as argv[1] and the message on stdin', async () => {
    const dir = scriptDir({ 'send.sh': 'printf "%s|" "$1" > out.tmp; cat >> out.tmp; mv out.tmp out' });
    const p = provider(dir, { SCRIPT: 'send.sh', BACKGROUND: 'wait', REGEXP: '/^\\+/00/' });
    await p.send('+49 170', 'Code 287082\nline 2');
    expect(readFileSync(path.join(dir, 'out'), 'utf8')).toBe('0049 170|Code 287082\nline 2');
  });

  it('in wait mode a non-zero exit is a failure; in background mode it returns before the script ends', async () => {
    const dir = scriptDir({ 'fail.sh': 'exit 3', 'slow.sh': 'sleep 0.3; cat > done.tmp; mv done.tmp done' });
    await expect(provider(dir, { SCRIPT: 'fail.sh', BACKGROUND: 'wait' }).send('+1', 'x')).rejects.toThrow(
      'gateway gw-script: script fail.sh exited with code 3',
    );
    await provider(dir, { SCRIPT: 'fail.sh' }).send('+1', 'x');
    await provider(dir, { SCRIPT: 'slow.sh' }).send('+1', 'late');
    expect(existsSync(path.join(dir, 'done'))).toBe(false);
    expect(await waitFor(path.join(dir, 'done'))).toBe('late');
  });

  it('kills a script that outlives TIMEOUT', async () => {
    const dir = scriptDir({ 'hang.sh': 'exec sleep 30' });
    await expect(provider(dir, { SCRIPT: 'hang.sh', BACKGROUND: 'wait', TIMEOUT: '0.3' }).send('+1', 'x')).rejects.toThrow(
      /did not finish within 0.3 s \(TIMEOUT\); killed/,
    );
  });

  it('runs nothing outside the script directory', () => {
    const dir = scriptDir({ 'ok.sh': 'true' });
    const outside = scriptDir({ 'evil.sh': 'true' });
    symlinkSync(path.join(outside, 'evil.sh'), path.join(dir, 'link.sh'));
    writeFileSync(path.join(dir, 'plain.sh'), '#!/bin/sh\ntrue\n');
    expect(() => provider(dir, { SCRIPT: '../scripts/ok.sh' })).toThrow(/file name inside the script directory/);
    expect(() => provider(dir, { SCRIPT: '/bin/sh' })).toThrow(/file name inside the script directory/);
    expect(() => provider(dir, { SCRIPT: 'link.sh' })).toThrow(/resolves outside/);
    expect(() => provider(dir, { SCRIPT: 'plain.sh' })).toThrow(/not an executable file/);
    expect(() => provider(dir, { SCRIPT: 'missing.sh' })).toThrow(/not found in .*providers.script_directory/);
    expect(() => provider(dir, { SCRIPT: 'ok.sh', BACKGROUND: 'later' })).toThrow(/BACKGROUND must be one of background, wait/);
  });
});
