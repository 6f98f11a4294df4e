// Script provider: runs an operator's script from the script directory with the phone
// number as its only argument and the message on stdin.
import { spawn } from 'node:child_process';
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { GatewayDefinition } from './definition.js';
import { rewritePhone } from './phone.js';
import { GatewayError, Options, type GatewayFailure, type ProviderContext, type SmsProvider } from './provider.js';
import { SCRIPT_PARAMETERS } from './script-parameters.js';


export class ScriptProvider implements SmsProvider {
  private readonly opts: Options;
  private readonly file: string;
  private readonly name: string;
  private readonly wait: boolean;
  private readonly timeoutMs: number;
  private readonly running = new Set<ReturnType<typeof spawn>>();

  constructor(definition: GatewayDefinition, context: ProviderContext) {
    this.opts = new Options(definition, SCRIPT_PARAMETERS);
    this.opts.rejectUnknown('script');
    this.name = this.opts.required('SCRIPT');
    this.file = confine(this.opts.id, context.scriptDirectory, this.name);
    this.wait = this.opts.oneOf('BACKGROUND', ['background', 'wait'] as const) === 'wait';
    this.timeoutMs = this.opts.seconds('TIMEOUT') * 1000;
  }

  send(rawPhone: string, message: string): Promise<void> {
    const phone = rewritePhone(rawPhone, this.opts.get('REGEXP'));
    return new Promise((resolve, reject) => {
      const fail = (reason: string, failure: GatewayFailure) => reject(new GatewayError(this.opts.id, `script ${this.name} ${reason}`, failure));
      const child = spawn(this.file, [phone], {
        cwd: path.dirname(this.file),
        stdio: ['pipe', 'ignore', 'ignore'],
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      });
      this.running.add(child);
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        if (this.wait) fail(`did not finish within ${this.timeoutMs / 1000} s (TIMEOUT); killed`, 'unreachable');
      }, this.timeoutMs);
      child.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        this.running.delete(child);
        fail(`could not be started (${err.code ?? err.message})`, 'configuration');
      });
      child.on('spawn', () => {
        child.stdin?.on('error', () => undefined); // a script that ignores stdin closes the pipe early
        child.stdin?.end(message);
        if (!this.wait) resolve();
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        this.running.delete(child);
        if (!this.wait) return;
        if (code === 0) resolve();
        else if (signal) fail(`was ended by ${signal}`, 'unreachable');
        // A script's exit status is its answer: the provider behind it said no.
        else fail(`exited with code ${code}`, 'refused');
      });
    });
  }

  async close(): Promise<void> {
    for (const child of this.running) child.kill('SIGTERM');
  }
}

/** The script must be a plain file name inside the script directory, and stay there after symlinks. */
function confine(id: string, directory: string, name: string): string {
  if (name.includes('/') || name.includes('\\') || name === '.' || name === '..' || name.includes('\0')) {
    throw new GatewayError(id, `option SCRIPT must be a file name inside the script directory, not a path`, 'configuration');
  }
  let dir: string;
  let real: string;
  try {
    dir = realpathSync(directory);
    real = realpathSync(path.join(dir, name));
  } catch {
    throw new GatewayError(id, `script ${name} not found in ${directory} (providers.script_directory)`, 'configuration');
  }
  if (path.dirname(real) !== dir && !real.startsWith(dir + path.sep)) {
    throw new GatewayError(id, `script ${name} resolves outside ${directory}`, 'configuration');
  }
  try {
    if (!statSync(real).isFile()) throw new Error('not a file');
    accessSync(real, constants.X_OK);
  } catch {
    throw new GatewayError(id, `script ${name} is not an executable file (chmod +x it)`, 'configuration');
  }
  return real;
}

export const createScriptProvider = (definition: GatewayDefinition, context: ProviderContext): SmsProvider =>
  new ScriptProvider(definition, context);
