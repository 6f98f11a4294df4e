#!/usr/bin/env node
// Summarises a V8 CPU profile (node --cpu-prof, or `npm run bench -- --cpu-prof DIR`): the
// functions with the most self time, and the share of time by where the code lives (ours,
// node_modules by package, Node's own, native/GC/idle).
//   node bench/cpu-profile-top.mjs FILE.cpuprofile [N]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node bench/cpu-profile-top.mjs FILE.cpuprofile [N]\n');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
// Self time per node: the sampling interval between consecutive samples, credited to the sampled node.
const self = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i + 1] ?? 0;
  self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt);
}
const total = [...self.values()].reduce((a, b) => a + b, 0);

function place(url) {
  if (!url) return 'native';
  const nm = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (nm) return `npm:${nm[1]}`;
  if (url.startsWith('node:')) return 'node';
  if (url.includes('/dist/')) return 'ours';
  return url;
}

const functions = new Map();
const places = new Map();
for (const [id, us] of self) {
  const { callFrame } = byId.get(id);
  const name = callFrame.functionName || '(anonymous)';
  const where = place(callFrame.url);
  const key = `${name}  ${callFrame.url ? `${callFrame.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${callFrame.lineNumber + 1}` : ''}`;
  functions.set(key, (functions.get(key) ?? 0) + us);
  const bucket = ['(garbage collector)', '(idle)', '(program)'].includes(name) ? name : where;
  places.set(bucket, (places.get(bucket) ?? 0) + us);
}
const pct = (us) => `${((100 * us) / total).toFixed(1).padStart(5)} %`;
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`);
console.log('\nby place:');
for (const [k, us] of [...places].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`${pct(us)}  ${k}`);
console.log(`\ntop ${top} functions by self time:`);
for (const [k, us] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)}  ${k}`);

// Total time: each sample counted once for every function on its stack (callers included),
// so a function's figure is what it and everything it called cost.
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const keyOf = (node) =>
  `${node.callFrame.functionName || '(anonymous)'}  ${node.callFrame.url ? `${node.callFrame.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${node.callFrame.lineNumber + 1}` : ''}`;
const inclusive = new Map();
for (const [id, us] of self) {
  const seen = new Set();
  for (let n = id; n !== undefined; n = parent.get(n)) {
    const k = keyOf(byId.get(n));
    if (seen.has(k)) continue;
    seen.add(k);
    inclusive.set(k, (inclusive.get(k) ?? 0) + us);
  }
}
console.log(`\ntop ${top} functions by total time (with what they call):`);
for (const [k, us] of [...inclusive].filter(([k]) => !k.startsWith('(root)')).sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)}  ${k}`);
