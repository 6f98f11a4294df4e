// The admin dashboard: logins by outcome, SMS sent and failed by gateway over the last hour
// (per minute) or the last day (per hour), and the tokens locked or disabled now. The page
// itself is rendered on the server with every figure and, per chart, a table of the same
// numbers (what a screen reader reads, and what shows without JavaScript); the charts are
// drawn by web/assets/dashboard.js from /ui/admin/dashboard.json, the same counts as JSON.
import type { FastifyInstance } from 'fastify';
import { renderPage } from '../render.js';
import type { WebOptions } from '../services.js';
import type { ChartSeries, DashboardView, WindowCharts } from '../../app/dashboard.js';
import { requireAdmin } from './admin.js';

type DashboardWindow = 'hour' | 'day';

const WINDOWS: Record<DashboardWindow, { label: string; unit: string; of: (d: DashboardView) => WindowCharts }> = {
  hour: { label: 'Last hour', unit: 'minute', of: (d) => d.lastHour },
  day: { label: 'Last day', unit: 'hour', of: (d) => d.lastDay },
};

/** The charts, in the page's order; `key` names the series in DashboardView's windows and the canvas (chart-KEY). */
const CHARTS = [
  { key: 'logins', heading: 'Logins by outcome', none: 'no login' },
  { key: 'smsSent', heading: 'SMS sent by gateway', none: 'no SMS sent' },
  { key: 'smsFailed', heading: 'SMS failed by gateway', none: 'no SMS failed' },
] as const;

const windowOf = (query: unknown): DashboardWindow => ((query as { window?: unknown }).window === 'day' ? 'day' : 'hour');

/** A bucket's start as the tables show it: HH:MM UTC (the day's buckets are whole hours). */
const timeLabel = (ms: number) => new Date(ms).toISOString().slice(11, 16);

/** The login outcomes as the charts say them (the audit's words are accept, reject, challenge); gateways keep their ids. */
const OUTCOME_WORDS: Readonly<Record<string, string>> = { accept: 'accepted', reject: 'rejected', challenge: 'challenged' };
const seriesName = (name: string) => OUTCOME_WORDS[name] ?? name;

const total = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

/** One chart's text alternative: the totals in a sentence, and the buckets that counted anything as table rows. */
interface ChartText {
  readonly summary: string;
  readonly columns: readonly string[];
  readonly rows: ReadonlyArray<{ readonly time: string; readonly values: readonly number[] }>;
}

function chartText(what: string, window: DashboardWindow, chart: ChartSeries, none: string, outcomes: boolean): ChartText {
  const say = (name: string) => (outcomes ? seriesName(name) : `through ${name}`);
  const totals = chart.series.map((s) => `${total(s.values)} ${say(s.name)}`).filter((t) => !t.startsWith('0 '));
  const summary = `${what}, ${WINDOWS[window].label.toLowerCase()}: ${totals.length > 0 ? totals.join(', ') : none}.`;
  const rows = chart.labels
    .map((label, i) => ({ time: timeLabel(label), values: chart.series.map((s) => s.values[i] ?? 0) }))
    .filter((row) => row.values.some((v) => v > 0));
  return { summary, columns: chart.series.map((s) => (outcomes ? seriesName(s.name) : s.name)), rows };
}

export function dashboardRoutes(ui: FastifyInstance, o: WebOptions): void {
  ui.get('/admin', async (request, reply) => {
    if (!requireAdmin(request, reply)) return reply;
    const window = windowOf(request.query);
    const data = await o.services.admin.dashboard.view();
    const smsFailedDay = total(data.lastDay.smsFailed.series.flatMap((s) => s.values));
    return renderPage(request, reply, 'admin-dashboard', {
      title: 'Dashboard',
      scripts: ['/ui/assets/chart.umd.min.js', '/ui/assets/dashboard.js'],
      window,
      windows: (Object.keys(WINDOWS) as DashboardWindow[]).map((w) => ({ key: w, label: WINDOWS[w].label, current: w === window })),
      unit: WINDOWS[window].unit,
      figures: [
        { label: 'Locked tokens', value: data.lockedTokens },
        { label: 'Disabled tokens', value: data.disabledTokens },
        { label: 'SMS failed in the last 24 hours', value: smsFailedDay },
        { label: 'Logins rejected in the last 24 hours', value: total(data.lastDay.logins.series.find((s) => s.name === 'reject')?.values ?? []) },
      ],
      charts: CHARTS.map((c) => ({
        key: c.key,
        heading: c.heading,
        text: Object.fromEntries((Object.keys(WINDOWS) as DashboardWindow[]).map((w) => [w, chartText(c.heading, w, WINDOWS[w].of(data)[c.key], c.none, c.key === 'logins')])),
      })),
      countedAt: new Date(data.at).toISOString().slice(0, 19).replace('T', ' '),
    });
  });

  // The charts' data: the same counts, for both windows (the switch redraws without asking again).
  ui.get('/admin/dashboard.json', async (request, reply) => {
    if (!requireAdmin(request, reply)) return reply;
    return reply.type('application/json; charset=utf-8').send(await o.services.admin.dashboard.view());
  });
}
