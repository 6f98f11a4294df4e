// The one table at the end, in Markdown.

/** Which FreeRADIUS row a row of ours is compared with. */
const FREERADIUS_TWIN = {
  status: 'status',
  'unknown-state': 'unknown-state',
  'round1-14': 'round1',
  'round1-10': 'round1',
  round2: 'round2',
  scale: 'round2',
  full: 'full',
  'wrong-pin': 'wrong-pin',
};

/** Which raw KDF rate bounds a row (one PIN check per request or login). */
const KDF_BOUND = { 'round1-14': 'kdf-14', 'round1-10': 'kdf-10', full: 'kdf-10', 'wrong-pin': 'kdf-14', 'kdf-14': 'kdf-14', 'kdf-10': 'kdf-10',
  'scale-import-pin': 'kdf-14' };

const num = (x, digits) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(digits));
const rate = (x) => (x === undefined || Number.isNaN(x) ? '-' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
const ms = (x) => (x === undefined || Number.isNaN(x) ? '-' : x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0));
const sig = (x) => (x === undefined || Number.isNaN(x) || !Number.isFinite(x) ? '-' : x === 0 ? '0' : x.toPrecision(2));
const ratio = (a, b) => (a === undefined || b === undefined || !b || Number.isNaN(a) ? '-' : `${(a / b).toFixed(a / b < 0.1 ? 3 : 2)}`);

export function renderTable(rows) {
  const fr = new Map(rows.filter((r) => r.server === 'FreeRADIUS').map((r) => [r.key, r]));
  const kdf = new Map(rows.filter((r) => r.server === 'machine').map((r) => [r.key, r]));
  const pap = fr.get('pap')?.rate;
  const head = [
    'row', 'server', 'store', 'rate', 'unit', '× FR PAP', '× FR same', '× KDF',
    'p50 ms', 'p99 ms', 'max ms', 'timeouts / lost', 'CPU s/1k', 'DB CPU s/1k', 'peak RSS MB', 'gen CPU s/1k', 'notes',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => ' --- ').join('|')}|`];
  for (const r of rows) {
    const isMachine = r.server === 'machine';
    const twin = r.server === 'sms-otp-radiusd' ? fr.get(FREERADIUS_TWIN[r.key])?.rate : undefined;
    const bound = KDF_BOUND[r.key] && r.server !== 'FreeRADIUS' ? kdf.get(KDF_BOUND[r.key])?.rate : undefined;
    const special = ['flood', 'soak', 'memory', 'scale-import', 'scale-import-pin'].includes(r.key);
    lines.push(
      `| ${[
        r.label,
        r.server,
        r.store ?? '-',
        rate(r.rate),
        r.unit,
        isMachine || special ? '-' : ratio(r.rate, pap),
        ratio(r.rate, twin),
        r.key === 'flood' || r.key === 'soak' || r.key === 'scale-import' ? '-' : ratio(r.rate, bound),
        ms(r.p50),
        ms(r.p99),
        ms(r.max),
        isMachine ? '-' : `${r.timeouts ?? 0} / ${r.lost ?? 0}`,
        sig(r.cpuPer1k),
        sig(r.dbCpuPer1k),
        num(r.peakRssMb, 0),
        sig(r.genCpuPer1k),
        (r.notes ?? []).join('; ').replaceAll('|', '/'),
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}
