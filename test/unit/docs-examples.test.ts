// Every fenced block of the manual (README.md, docs/*.md, pages added later included) is
// exercised by a test, or the run fails naming the page, the line and how to mark the block.
// The marks are described in test/helpers/docs-blocks.ts. What each mark proves:
// - a test file: the block's commands (shell) or lines (output samples, configuration
//   excerpts) appear in it letter for letter, so changing either the page or the test fails;
// - id=NAME: the test file reads the block from the page (docsExample) and runs it;
// - cli: each sms-otp-radiusd command goes through the CLI's own command tree (commander, the
//   same tree as --help and the man page) with the actions left out: the command must exist,
//   every option must be one of its own, a full command line must parse (values, arguments);
// - config: the YAML is loaded by the real configuration loader (a fragment on top of a
//   minimal node file);
// - drawing: a drawing, nothing to run.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml, stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config/load.js';
import { docPages, fencedBlocks, normalise, plainLines, SHELL_LANGS, shellCommands, shellWords, type DocBlock } from '../helpers/docs-blocks.js';
import { ROOT, tempDir } from '../helpers/fs.js';

const HOW_TO_MARK =
  'Put a mark on the line right before its opening fence, one of:\n' +
  '  <!-- example: test/e2e/some.test.ts -->          that file contains each command (or line) of the block verbatim\n' +
  "  <!-- example: id=NAME test/e2e/some.test.ts -->  that file runs docsExample('NAME') (test/helpers/docs-blocks.ts)\n" +
  '  <!-- example: cli -->                            sms-otp-radiusd commands, parsed by the CLI itself\n' +
  '  <!-- example: config -->                         YAML of the node configuration, loaded by the real loader\n' +
  '  <!-- example: drawing -->                        a drawing (box-drawing characters)\n' +
  'or remove the block.';

const blocks = docPages().flatMap(fencedBlocks);
const dir = tempDir('smsotp-docs-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What is wrong with a block, or [] when a test exercises it. */
async function problems(block: DocBlock): Promise<string[]> {
  const mark = block.mark;
  if (mark === undefined) return [`no test exercises it. ${HOW_TO_MARK}`];
  if (mark === 'drawing') {
    return /[─│┌┐└┘├┤┬┴┼▶◀▲▼]/.test(block.text) ? [] : ['marked drawing, but it holds no box-drawing characters: it is an example, mark it with its test'];
  }
  if (mark === 'config') return configProblems(block);
  if (mark === 'cli') return cliProblems(block);
  const words = mark.split(/\s+/);
  const id = words.find((w) => w.startsWith('id='))?.slice(3);
  const files = words.filter((w) => !w.startsWith('id='));
  if (!files.length) return [`the mark names no test file. ${HOW_TO_MARK}`];
  const missing = files.filter((f) => !existsSync(path.join(ROOT, f)));
  if (missing.length) return [`the mark names ${missing.join(', ')}, which does not exist`];
  const texts = files.map((f) => normalise(readFileSync(path.join(ROOT, f), 'utf8')));
  if (id !== undefined) {
    // docsExample('NAME'), or the name in a list the file passes to docsExample one by one.
    const runs = (t: string) => t.includes('docsExample(') && t.includes(`'${id}'`);
    return texts.some(runs) ? [] : [`marked id=${id}, but ${files.join(', ')} never runs docsExample('${id}')`];
  }
  const wanted = SHELL_LANGS.has(block.lang) ? shellCommands(block.text) : plainLines(block.text);
  return wanted.filter((w) => !texts.some((t) => t.includes(w))).map((w) => `not found verbatim in ${files.join(', ')}: ${w}`);
}

/** A minimal node file the YAML excerpts of the pages are laid over. */
const BASE_CONFIG = {
  database: { client: 'sqlite', filename: './store.sqlite' },
  secrets: { keyfile: './encryption.key' },
  radius: { listen: [{ host: '127.0.0.1', port: 1812 }], clients: [{ name: 'base', address: '127.0.0.2/32', secret: 'base-secret-0123456789' }] },
};

function overlay(base: unknown, over: unknown): unknown {
  if (!isObject(base) || !isObject(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = overlay(base[k], v);
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

let configs = 0;
function configProblems(block: DocBlock): string[] {
  if (block.lang !== 'yaml') return [`marked config, but it is a ${block.lang || 'untyped'} block, not yaml`];
  const file = path.join(dir, `config-${++configs}.yaml`);
  try {
    writeFileSync(file, stringify(overlay(BASE_CONFIG, parseYaml(block.text))));
    loadConfig(file, {});
    return [];
  } catch (err) {
    return [`the configuration loader refuses it: ${(err as Error).message}`];
  }
}

/** The CLI's command tree with every action left out, so parsing runs nothing. */
function commandTree(errors: string[]): Command {
  const program = buildProgram({ out: () => {}, err: (text) => errors.push(text.trim()) });
  const quiet = (cmd: Command) => {
    if (cmd.commands.length === 0) cmd.action(() => {});
    cmd.commands.forEach(quiet);
  };
  quiet(program);
  return program;
}

const PROGRAM = 'sms-otp-radiusd';

async function cliProblems(block: DocBlock): Promise<string[]> {
  if (!SHELL_LANGS.has(block.lang)) return [`marked cli, but it is a ${block.lang || 'untyped'} block, not sh`];
  // A synopsis line goes on in lines of options alone; they belong to the command above.
  const commands: string[] = [];
  for (const command of shellCommands(block.text)) {
    if (/^[[-]/.test(command) && commands.length) commands[commands.length - 1] += ` ${command}`;
    else commands.push(command);
  }
  const found: string[] = [];
  for (const command of commands) {
    const args = invocation(command);
    if (!args) {
      found.push(`marked cli, but this is no ${PROGRAM} command (mark the block with the test that runs it): ${command}`);
      continue;
    }
    const problem = args.some((a) => a.startsWith('[')) ? synopsisProblem(args) : await parseProblem(args);
    if (problem) found.push(`${problem}: ${command}`);
  }
  return found;
}

/** The words after the program name, or undefined when the command does not run it. */
function invocation(command: string): string[] | undefined {
  const inner = /\$\(([^)]*\bsms-otp-radiusd\b[^)]*)\)/.exec(command)?.[1];
  const words = shellWords(inner ?? command);
  const segments: string[][] = [[]];
  for (const w of words) {
    if (w === '|' && !words.some((x) => x.startsWith('['))) segments.push([]);
    else segments[segments.length - 1]!.push(w);
  }
  const segment = segments.find((s) => s.includes(PROGRAM));
  if (!segment) return undefined;
  const dashes = segment.indexOf('--');
  const at = dashes >= 0 && segment[dashes + 1] === PROGRAM ? dashes + 1 : segment.indexOf(PROGRAM);
  const rest = segment.slice(at + 1);
  const redirect = rest.findIndex((w) => /^\d?>/.test(w));
  return redirect >= 0 ? rest.slice(0, redirect) : rest;
}

/** A synopsis (`token list [--json] | show S`): each command named exists, each option is its own. */
function synopsisProblem(args: string[]): string | undefined {
  const program = commandTree([]);
  let cmd = program;
  let sibling = false;
  for (const word of args) {
    if (word === '|') {
      sibling = true;
      continue;
    }
    const bare = word.replace(/^\[+/, '').replace(/\]+$/, '');
    if (sibling) {
      sibling = false;
      const next = cmd.parent?.commands.find((c) => c.name() === bare);
      if (next) {
        cmd = next;
        continue;
      }
    }
    const sub = cmd.commands.find((c) => c.name() === bare);
    if (sub) {
      cmd = sub;
      continue;
    }
    for (const piece of bare.split('|')) {
      if (!piece.startsWith('--')) continue;
      const name = piece.split('=')[0]!;
      if (!hasOption(cmd, name)) return `${commandPath(cmd)} has no option ${name}`;
    }
  }
  return cmd === program && !args.every((a) => a.startsWith('-')) ? `no such command ${args[0]}` : undefined;
}

function hasOption(cmd: Command, name: string): boolean {
  if (name === '--help') return true;
  for (let c: Command | null = cmd; c; c = c.parent) {
    if (c.options.some((o) => o.long === name)) return true;
  }
  return false;
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** A full command line, parsed by the real command tree with the actions left out. */
async function parseProblem(args: string[]): Promise<string | undefined> {
  const errors: string[] = [];
  const program = commandTree(errors);
  try {
    await program.parseAsync(args, { from: 'user' });
    return undefined;
  } catch (err) {
    if ((err as { exitCode?: number }).exitCode === 0) return undefined; // --version, --help
    return `the CLI refuses it (${errors.join(' ').split('\n')[0]})`;
  }
}

describe('the helpdesk tasks that `sms-otp-radiusd --help` lists', () => {
  it('are five commands the CLI takes as written', async () => {
    let help = '';
    const program = buildProgram({ out: (text) => (help += text), err: () => {} });
    program.exitOverride();
    program.configureOutput({ writeOut: (text) => (help += text) });
    await program.parseAsync(['--help'], { from: 'user' }).catch((err: { exitCode?: number }) => expect(err.exitCode).toBe(0));
    const tasks = help.slice(help.indexOf('Helpdesk, by user name')).split('\n').filter((l) => l.includes(` ${PROGRAM} `));
    expect(tasks).toHaveLength(5);
    for (const line of tasks) expect(await parseProblem(invocation(line.trim().replace(/^.*? {2,}/, ''))!), line).toBeUndefined();
    expect(help).toContain('audited with your account name: audit list --action admin');
  });
});

describe('every example of the manual is exercised by a test', () => {
  it('finds the pages and their blocks', () => {
    expect(docPages()).toContain('README.md');
    expect(blocks.length).toBeGreaterThan(20);
  });

  it.each(blocks.map((b) => [`${b.page}:${b.line} (${b.lang || 'untyped'})`, b] as const))('%s', async (_name, block) => {
    const found = await problems(block);
    expect(found, `${block.page}, the block at line ${block.line}:\n${found.join('\n')}`).toEqual([]);
  });
});

describe('the checks themselves', () => {
  const block = (text: string, mark: string | undefined, lang = 'sh'): DocBlock => ({ page: 'x.md', line: 1, lang, text, mark });

  it('fails an unmarked block, saying how to mark it', async () => {
    expect((await problems(block('ls', undefined)))[0]).toContain('<!-- example: test/e2e/some.test.ts -->');
  });

  it('fails a command the named test does not hold verbatim', async () => {
    expect(await problems(block('$ sms-otp-radiusd token list --frobnicate', 'test/unit/docs-examples.test.ts'))).toEqual([]);
    expect(await problems(block('sms-otp-radiusd token  list   --not-in-that-file', 'test/helpers/fs.ts'))).toHaveLength(1);
  });

  it('fails an unknown option, a missing value and an unknown command under cli', async () => {
    expect(await problems(block('sms-otp-radiusd token list --json', 'cli'))).toEqual([]);
    expect(await problems(block('echo 1234 | sms-otp-radiusd token enroll --user a --phone +491701234567 --pin -', 'cli'))).toEqual([]);
    expect(await problems(block('sms-otp-radiusd token list --frobnicate', 'cli'))).toHaveLength(1);
    expect(await problems(block('sms-otp-radiusd token frobnicate', 'cli'))).toHaveLength(1);
    expect(await problems(block('sms-otp-radiusd token list [--user U] [--frobnicate] | show S', 'cli'))).toHaveLength(1);
    expect(await problems(block('sms-otp-radiusd token list [--user U] [--json] | show S [--json]', 'cli'))).toEqual([]);
  });

  it('makes heading anchors as GitHub does', () => {
    expect(anchor('What `pin.kdf_cost` buys and costs')).toBe('what-pinkdf_cost-buys-and-costs');
    expect(anchor('One front or the other: where a challenge is answered')).toBe('one-front-or-the-other-where-a-challenge-is-answered');
  });

  it('fails YAML the configuration loader refuses', async () => {
    expect(await problems(block('http:\n  listen: [ { host: 127.0.0.1, port: 5080 } ]', 'config', 'yaml'))).toEqual([]);
    expect(await problems(block('http:\n  listne: [ { host: 127.0.0.1, port: 5080 } ]', 'config', 'yaml'))).toHaveLength(1);
  });
});

/** Pages other work of issue 22 adds; linked already, checked once they exist. */
const PAGES_WRITTEN_ELSEWHERE = new Set([
  'docs/install.md', 'docs/policies.md', 'docs/directory-groups.md', 'docs/operations-notes.md',
  'docs/migrate-from-radius.md', 'docs/migrate-from-privacyidea.md', 'docs/helpdesk.md', 'docs/debugging.md',
]);

/** GitHub's anchor of a heading: lower case, no punctuation but - and _, blanks become -. */
function anchor(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

function anchors(page: string): Set<string> {
  const text = readFileSync(path.join(ROOT, page), 'utf8').replace(/^(```|~~~)[\s\S]*?^\1/gm, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchor(m[1]!)));
}

describe('the links of the manual', () => {
  it.each(docPages())('%s links to pages and headings that exist', (page) => {
    const text = readFileSync(path.join(ROOT, page), 'utf8').replace(/^(```|~~~)[\s\S]*?^\1/gm, '');
    const broken: string[] = [];
    for (const [, href] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(href!)) continue;
      const [file, hash] = href!.split('#') as [string, string | undefined];
      const target = file ? path.posix.normalize(path.posix.join(path.posix.dirname(page), file)) : page;
      if (!existsSync(path.join(ROOT, target))) {
        if (!PAGES_WRITTEN_ELSEWHERE.has(target)) broken.push(`${href}: no file ${target}`);
        continue;
      }
      if (hash && target.endsWith('.md') && !anchors(target).has(hash)) broken.push(`${href}: no heading #${hash} in ${target}`);
    }
    expect(broken).toEqual([]);
  });
});
