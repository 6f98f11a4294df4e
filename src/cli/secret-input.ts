// Secrets (a PIN, a password, a gateway's secret option) never need to be on the command
// line, where every user sees them in `ps` and the shell keeps them in its history:
// `-` reads the value from standard input, `@FILE` from a file (the first line of either),
// and an option given without a value, or a required one left out, is asked for on the
// terminal without echo.
import { readFileSync } from 'node:fs';
import { read } from 'read';
import { describeFsError } from '../errors.js';
import { UsageError } from './output.js';

export interface SecretSource {
  readonly stdin: NodeJS.ReadStream;
  readonly stderr: NodeJS.WriteStream;
}

export class SecretInput {
  private stdinTaken: string | undefined;

  constructor(private readonly source: SecretSource = { stdin: process.stdin, stderr: process.stderr }) {}

  /**
   * The value of a secret option. `given` is what commander parsed: a string, true for the
   * bare option (ask), or undefined when it was left out (ask only if `required`).
   */
  async value(option: string, given: string | boolean | undefined, how: { required: boolean; confirm?: boolean; label: string }): Promise<string | undefined> {
    if (given === undefined || given === false) {
      if (!how.required) return undefined;
      return this.ask(option, how);
    }
    if (given === true) return this.ask(option, how);
    return this.resolve(option, given);
  }

  /** `-`, `@FILE` or a literal (accepted, with a warning where a person is typing). */
  async resolve(option: string, given: string): Promise<string> {
    if (given === '-') return this.fromStdin(option);
    if (given.startsWith('@')) return fromFile(option, given.slice(1));
    if (this.source.stderr.isTTY) {
      this.source.stderr.write(
        `warning: ${option} on the command line is visible to other users (ps) and stays in your shell history; ` +
          `next time give ${option} - (standard input) or ${option} @FILE, or leave the value out to be asked\n`,
      );
    }
    return given;
  }

  /** An option that names a file (or - for standard input) rather than taking `@FILE`: --secret-file. */
  async fileOrStdin(option: string, given: string): Promise<string> {
    return given === '-' ? this.fromStdin(option) : fromFile(option, given, given);
  }

  private async fromStdin(option: string): Promise<string> {
    if (this.stdinTaken !== undefined) {
      throw new UsageError(`${option} -: standard input is already read for ${this.stdinTaken}; give one of them as @FILE`);
    }
    this.stdinTaken = option;
    let text = '';
    for await (const chunk of this.source.stdin) text += chunk.toString();
    return firstLine(text);
  }

  private async ask(option: string, how: { confirm?: boolean; label: string }): Promise<string> {
    if (!this.source.stdin.isTTY) {
      throw new UsageError(`${option}: no value given and no terminal to ask on; give ${option} - (standard input) or ${option} @FILE`);
    }
    const prompt = async (text: string) => {
      try {
        return await read({ prompt: text, silent: true, replace: '', input: this.source.stdin, output: this.source.stderr });
      } catch (err) {
        // Ctrl-C or Ctrl-D at the prompt.
        throw new UsageError(`${option}: ${(err as Error).message === 'canceled' ? 'cancelled' : (err as Error).message}; nothing was changed`);
      }
    };
    const value = await prompt(`${how.label}: `);
    if (how.confirm && (await prompt(`${how.label} again: `)) !== value) {
      throw new UsageError(`${option}: the two entries differ; nothing was changed`);
    }
    return value;
  }
}

function fromFile(option: string, file: string, shown = `@${file}`): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${option} ${shown}: cannot read it: ${describeFsError(err)}`);
  }
  return firstLine(text);
}

/** The first line: `echo` and editors add a newline that is not part of the secret. */
function firstLine(text: string): string {
  return text.split(/\r?\n/, 1)[0] ?? '';
}
