// An output sample of the manual (a fenced block of docs/*.md, read with docsExample) against
// what the command really printed: each line of the sample is a line of the output, in order;
// lines the sample leaves out may come between, `...` marks where. Times (ISO 8601) and
// seconds (`298 s`) may differ, and columns may be wider or narrower.

/** The lines of a sample as patterns. */
function samplePatterns(sample: string[]): RegExp[] {
  return sample
    .filter((line) => line.trim() && line.trim() !== '...')
    .map((line) =>
      line
        .trim()
        .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        .replace(/\d{4}-\d\d-\d\dT[\d:]+\\\.\d+Z/g, '\\S+')
        .replace(/\d+ s\b/g, '\\d+ s')
        .replace(/\s+/g, '\\s+'),
    )
    .map((pattern) => new RegExp(`^${pattern}$`));
}

/** Why the output does not show the sample, or undefined when it does. */
export function sampleMismatch(output: string, sample: string[]): string | undefined {
  const lines = output.split('\n').map((l) => l.trim());
  let at = 0;
  for (const pattern of samplePatterns(sample)) {
    while (at < lines.length && !pattern.test(lines[at]!)) at++;
    if (at === lines.length) return `no line matches ${pattern} (after the sample's lines before it) in:\n${output}`;
    at++;
  }
  return undefined;
}
