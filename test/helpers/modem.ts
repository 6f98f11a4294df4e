// A modem on a pseudo-terminal pair made by socat: the provider opens one end, the emulator
// (test/peers/modem_emulator.py) answers on the other.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ROOT, tempDir } from './fs.js';
import { startProcess, type RunningProcess } from './process.js';

export interface ModemPeer {
  readonly device: string;
  /** What the modem sent, as python-gammu decoded it. */
  sms(): Promise<Array<Record<string, unknown>>>;
  /** Every AT command the modem received. */
  commands(): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startModem(args: string[] = []): Promise<ModemPeer> {
  const dir = tempDir('smsotp-modem-');
  const device = path.join(dir, 'modem');
  const far = path.join(dir, 'emulator');
  const socat = await startProcess('socat', ['-d', '-d', `pty,raw,echo=0,link=${device}`, `pty,raw,echo=0,link=${far}`], 'starting data transfer loop', { name: 'socat' });
  for (let i = 0; i < 50 && !(existsSync(device) && existsSync(far)); i++) await new Promise((r) => setTimeout(r, 20));
  const emulator = await startProcess('/usr/bin/python3', ['-u', path.join(ROOT, 'test/peers/modem_emulator.py'), far, ...args], 'ready', { name: 'modem emulator' });
  const lines = async (kind: string) =>
    (await emulator.settledOutput()).split('\n').filter((l) => l.startsWith(`${kind} `)).map((l) => JSON.parse(l.slice(kind.length + 1)));
  return {
    device,
    sms: () => lines('SMS'),
    commands: () => lines('CMD'),
    async stop() {
      await emulator.stop();
      await socat.stop();
    },
  };
}
