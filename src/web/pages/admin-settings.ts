// The site settings as `setting list` shows them, each in a form of its own with its help
// text: saved through SettingsAdmin (validated by the settings registry, which names what it
// takes when it refuses a value), or returned to its default. A refused value is shown again
// beside the setting with the SettingError's message; nothing is stored then.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SETTINGS, type SettingKey } from '../../core/settings.js';
import type { SettingView } from '../../app/settings-admin.js';
import { renderPage } from '../render.js';
import type { WebOptions } from '../services.js';
import { actorOf, doneThen, field, refusalOf, requireAdmin, takeNotice } from './admin.js';

interface SettingRow {
  readonly key: SettingKey;
  readonly value: string;
  readonly isDefault: boolean;
  readonly defaultText: string;
  readonly help: string;
  /** A boolean or a setting of a few words is a choice; anything else is typed. */
  readonly choices?: readonly string[];
  /** The value typed and refused, with why. */
  readonly refused?: { readonly value: string; readonly message: string };
}

const text = (value: unknown) => (value === null || value === undefined ? '' : String(value));

function rowOf(s: SettingView, refused?: { key: string; value: string; message: string }): SettingRow {
  const def: { kind: string; default: unknown; choices?: readonly string[] } = SETTINGS[s.key];
  const choices = def.kind === 'boolean' ? ['true', 'false'] : def.choices;
  return {
    key: s.key,
    value: text(s.value),
    isDefault: s.source === 'default',
    defaultText: def.default === null || def.default === '' ? '(empty)' : String(def.default),
    help: s.meaning,
    ...(choices ? { choices } : {}),
    ...(refused && refused.key === s.key ? { refused: { value: refused.value, message: refused.message } } : {}),
  };
}

/** Settings grouped by the part of the key before the first dot (sms, token, pin, ...); the others under General. */
function groupsOf(rows: readonly SettingRow[]) {
  const groups = new Map<string, SettingRow[]>();
  for (const row of rows) {
    const dot = row.key.indexOf('.');
    const name = dot > 0 ? row.key.slice(0, dot) : 'general';
    groups.set(name, [...(groups.get(name) ?? []), row]);
  }
  return [...groups.entries()].map(([name, settings]) => ({ name: name === 'sms' ? 'SMS' : name[0]!.toUpperCase() + name.slice(1), settings }));
}

export function settingRoutes(ui: FastifyInstance, o: WebOptions): void {
  const admin = o.services.admin;

  const showPage = async (request: FastifyRequest, reply: FastifyReply, refused?: { key: string; value: string; message: string; status: number }) => {
    const rows = (await admin.settings.list()).map((s) => rowOf(s, refused));
    return renderPage(request, reply.code(refused?.status ?? 200), 'admin-settings', {
      title: 'Settings',
      groups: groupsOf(rows),
      notice: takeNotice(request),
      ...(refused ? { message: `${refused.key}: ${refused.message}` } : {}),
    });
  };

  ui.get('/admin/settings', async (request, reply) => {
    if (!requireAdmin(request, reply)) return reply;
    return showPage(request, reply);
  });

  ui.post('/admin/settings', { preHandler: ui.csrfProtection }, async (request, reply) => {
    const user = requireAdmin(request, reply);
    if (!user) return reply;
    const key = field(request.body, 'key');
    const value = field(request.body, 'value');
    const reset = field(request.body, 'do') === 'reset';
    try {
      if (reset) {
        const change = await admin.changes.unsetSetting(actorOf(request, user), key);
        return doneThen(request, reply, `/ui/admin/settings#setting-${change.key}`, `${change.key} is back to its default.`);
      }
      const change = await admin.changes.setSetting(actorOf(request, user), key, value);
      return doneThen(request, reply, `/ui/admin/settings#setting-${change.key}`, `${change.key} saved: '${change.value}'.`);
    } catch (err) {
      const { message, status } = refusalOf(err);
      return showPage(request, reply, { key, value, message, status });
    }
  });
}
