// The fenced blocks of the manual (README.md and docs/*.md) and the marks that say which test
// exercises each one. A mark is an HTML comment on the line right before the fence:
//
//   <!-- example: test/e2e/foo.test.ts [more/files …] -->  the files hold each command (shell) or
//                                                        each line (other blocks) verbatim
//   <!-- example: id=NAME test/e2e/foo.test.ts -->        the file reads the block itself with
//                                                        docsExample('NAME') and runs it
//   <!-- example: cli -->     each sms-otp-radiusd command is parsed by the CLI's own command tree
//   <!-- example: config -->  a YAML block loaded by the real configuration loader
//   <!-- example: drawing --> a drawing (box-drawing characters), no example
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './fs.js';

export interface DocBlock {
  /** Page path relative to the checkout, e.g. docs/nas.md. */
  readonly page: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly lang: string;
  readonly text: string;
  /** What the mark says after `example:`, or undefined when the block has none. */
  readonly mark: string | undefined;
}

export function docPages(): string[] {
  const docs = readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort();
  return ['README.md', ...docs.map((f) => `docs/${f}`)];
}

export function fencedBlocks(page: string): DocBlock[] {
  const lines = readFileSync(path.join(ROOT, page), 'utf8').split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(```+|~~~+)\s*([\w-]*)/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[2]!;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !lines[j]!.trim().startsWith(fence); j++) body.push(lines[j]!.slice(open[1]!.length));
    const before = lines[i - 1]?.trim() ?? '';
    const mark = /^<!--\s*example:\s*(.*?)\s*-->$/.exec(before)?.[1];
    blocks.push({ page, line: i + 1, lang: open[3]!.toLowerCase(), text: body.join('\n'), mark });
    i = j;
  }
  return blocks;
}

/** The text of the block marked `id=NAME`, for a test that runs it; throws when there is none. */
export function docsExample(id: string): string {
  const found = docPages().flatMap(fencedBlocks).filter((b) => b.mark?.split(/\s+/).includes(`id=${id}`));
  if (found.length !== 1) throw new Error(`docs: ${found.length} blocks marked id=${id}, expected exactly one`);
  return found[0]!.text;
}

export const SHELL_LANGS = new Set(['sh', 'shell', 'bash', 'console', 'sh-session']);

/**
 * The commands of a shell block as a reader would type them: `$ ` prompts trimmed, lines
 * continued with a backslash joined, comment lines and trailing comments dropped, `a && b`
 * split, whitespace normalised.
 */
export function shellCommands(text: string): string[] {
  const joined = text.replace(/\\\n\s*/g, ' ').split('\n');
  const commands: string[] = [];
  for (let line of joined) {
    line = line.replace(/^\s*\$ /, '');
    line = stripTrailingComment(line).trim();
    if (!line || line.startsWith('#')) continue;
    for (const part of line.split(' && ')) commands.push(normalise(part));
  }
  return commands.filter(Boolean);
}

/** Each non-blank line of a block that is no shell, whitespace normalised. */
export function plainLines(text: string): string[] {
  return text.split('\n').map(normalise).filter(Boolean);
}

export function normalise(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Drops ` # comment` outside quotes. */
function stripTrailingComment(line: string): string {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = '';
      else if (c === '\\' && quote === '"') i++;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '\\') i++;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}

/** Splits a command line into words as a POSIX shell would (quotes, backslashes); `$VAR` stays as written. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = '';
      else if (c === '\\' && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= '';
    } else if (c === '$' && line[i + 1] === '(') {
      // A command substitution is one word here, as the shell makes it one.
      let depth = 0;
      let j = i;
      for (; j < line.length; j++) {
        if (line[j] === '(') depth++;
        else if (line[j] === ')' && --depth === 0) break;
      }
      word = (word ?? '') + line.slice(i, j + 1);
      i = j;
    } else if (c === '\\' && i + 1 < line.length) word = (word ?? '') + line[++i];
    else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? '') + c;
  }
  if (word !== undefined) words.push(word);
  return words;
}
