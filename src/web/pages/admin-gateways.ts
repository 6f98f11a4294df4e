// The gateways as the CLI's `gateway list` shows them (secrets censored), with what the daemon
// knows of their health: the failover block of an unreachable gateway (the store's
// gateway_health, shared by every node), the SMS it took and failed over the last day (the
// audit, as the dashboard counts them), and the last test send. Each gateway has a form for a
// test SMS, audited with the operator as `gateway test` audits the CLI user.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { WEB_CLIENT_NAME } from '../../config/schema.js';
import { healthCell, type GatewayView } from '../../app/views.js';
import type { AuditRecord } from '../../app/audit.js';
import { renderPage } from '../render.js';
import { operatorOf, type SignedIn } from '../session.js';
import type { WebOptions } from '../services.js';
import type { ChartSeries } from '../../app/dashboard.js';
import { doneThen, field, requireAdmin, takeNotice } from './admin.js';

const TEST_MESSAGE = 'sms-otp-radiusd test message';
/** A number as people type it: an optional +, digits, spaces, dashes, brackets. The gateway judges the rest. */
const PHONE = /^\+?[0-9][0-9 ()./-]{2,31}$/;

const sum = (chart: ChartSeries, gateway: string) => chart.series.find((s) => s.name === gateway)?.values.reduce((a, b) => a + b, 0) ?? 0;

interface GatewayRow extends GatewayView {
  readonly status: string;
  readonly healthy: boolean;
  readonly sentDay: number;
  readonly failedDay: number;
  readonly lastTest?: { readonly time: string; readonly result: string; readonly by: string };
  readonly settings: ReadonlyArray<{ readonly key: string; readonly value: string }>;
}

function rowOf(g: GatewayView, sent: ChartSeries, failed: ChartSeries, tests: readonly AuditRecord[]): GatewayRow {
  const last = [...tests].reverse().find((t) => t.gateway === g.identifier);
  return {
    ...g,
    status: g.health ? healthCell(g.health) : 'reachable (no failure since its last success)',
    healthy: g.health === null,
    sentDay: sum(sent, g.identifier),
    failedDay: sum(failed, g.identifier),
    ...(last ? { lastTest: { time: new Date(last.at).toISOString().slice(0, 19).replace('T', ' '), result: last.reason, by: last.username } } : {}),
    settings: [...Object.entries(g.options), ...Object.entries(g.headers).map(([k, v]) => [`header ${k}`, v] as const)].map(([key, value]) => ({ key, value })),
  };
}

export function gatewayRoutes(ui: FastifyInstance, o: WebOptions): void {
  const admin = o.services.admin;

  const showPage = async (request: FastifyRequest, reply: FastifyReply, result?: { gateway: string; phone: string; message?: string; status: number }) => {
    const [gateways, dashboard, tests] = await Promise.all([admin.gateways.list(), admin.dashboard.view(), admin.recentTests()]);
    const rows = gateways.map((g) => rowOf(g, dashboard.lastDay.smsSent, dashboard.lastDay.smsFailed, tests));
    return renderPage(request, reply.code(result?.status ?? 200), 'admin-gateways', {
      title: 'Gateways',
      gateways: rows,
      notice: takeNotice(request),
      // A refused test: its message beside the gateway's form, the number kept.
      failed: result && result.message ? { gateway: result.gateway, phone: result.phone, message: result.message } : undefined,
    });
  };

  ui.get('/admin/gateways', async (request, reply) => {
    if (!requireAdmin(request, reply)) return reply;
    return showPage(request, reply);
  });

  ui.post('/admin/gateways/test', { preHandler: ui.csrfProtection }, async (request, reply) => {
    const user: SignedIn | undefined = requireAdmin(request, reply);
    if (!user) return reply;
    const gateway = field(request.body, 'gateway');
    const phone = field(request.body, 'phone').trim();
    if (!PHONE.test(phone)) return showPage(request, reply, { gateway, phone, status: 400, message: 'Enter the number to send to, e.g. +4917012345678.' });
    if (!(await admin.gateways.list()).some((g) => g.identifier === gateway)) return showPage(request, reply, { gateway, phone, status: 404, message: `There is no gateway '${gateway}'.` });
    try {
      const by = await admin.testSend({ gateway, phone, message: TEST_MESSAGE, operator: operatorOf(user), origin: WEB_CLIENT_NAME });
      return doneThen(request, reply, '/ui/admin/gateways', by === gateway ? `Gateway ${gateway} accepted the test SMS.` : `Gateway ${gateway} accepted the test SMS (delivered by member ${by}).`);
    } catch (err) {
      // The audit row is written either way (src/app/gateway-test.ts); the gateway's reason is what the CLI prints too.
      return showPage(request, reply, { gateway, phone, status: 502, message: `Gateway ${gateway} did not take the test SMS: ${(err as Error).message}` });
    }
  });
}
