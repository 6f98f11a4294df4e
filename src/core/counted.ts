// "1 token", "3 tokens": a count with its noun, for messages, audit rows and CLI output.
// One place, so that every sentence that counts agrees with its number.

/** `count` and `noun`, the noun in the plural (`plural`, or `noun` + s) unless count is 1. */
export function counted(count: number, noun: string, plural = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : plural}`;
}
