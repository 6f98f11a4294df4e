// privacyIDEA's /system/ endpoints for the site-wide settings: read them all, or set some.
// The same application layer as the CLI's `setting` commands (src/app/settings-admin.ts):
// validated by the settings registry, whose messages name the key, all or none of a request
// stored, and the configuration revision moved so that every daemon applies them in a second.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditedChanges, ChangeActor } from '../../app/audited-changes.js';
import type { SettingsAdmin } from '../../app/settings-admin.js';
import { MAX_USER_TRACE_MS, type DebugSwitch } from '../../core/debug-trace.js';
import { HttpRequestError } from '../errors.js';
import { adminResponse } from '../responses.js';
import { optional, parametersOf, required } from './requests.js';

export interface SystemRoutesOptions {
  readonly settings: SettingsAdmin;
  /** Changes go through here: an audit row per setting, naming the API key. */
  readonly changes: Pick<AuditedChanges, 'setSettings'>;
  readonly actorOf: (request: FastifyRequest) => ChangeActor;
  /** The daemon's debug trace (absent: POST /system/debug answers 404 like any unknown path). */
  readonly debug?: DebugSwitch;
  readonly now: () => number;
}

/** A per-user trace without a duration runs this long. */
const DEFAULT_TRACE = '10m';
const UNIT_MS: Readonly<Record<string, number>> = { '': 1_000, s: 1_000, m: 60_000, h: 3_600_000 };

/** `600` (seconds), `30s`, `10m`, `2h`; NaN for anything else. */
function durationMs(text: string): number {
  const m = /^(\d{1,6})([smh]?)$/.exec(text.trim());
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : NaN;
}

export function systemRoutes(app: FastifyInstance, o: SystemRoutesOptions): void {
  // Every setting's effective value (privacyIDEA's key: value); where it comes from and what it
  // means in detail, as `setting list --json` prints them.
  app.get('/system/', async () => {
    const settings = await o.settings.list();
    return adminResponse(
      Object.fromEntries(settings.map((s) => [s.key, s.value])),
      { settings: settings.map(({ key, source, meaning }) => ({ key, source, meaning })) },
      o.now(),
    );
  });

  // Every parameter is a setting (privacyIDEA's form); the answer says, per key, whether it
  // was stored before ("update") or not ("insert"), as privacyIDEA's does.
  app.post('/system/setConfig', async (request) => {
    const changes = await o.changes.setSettings(o.actorOf(request), [...parametersOf(request)]);
    return adminResponse(Object.fromEntries(changes.map((c) => [c.key, c.inserted ? 'insert' : 'update'])), null, o.now());
  });

  // The debug trace of one user's requests, on this node, for a while (`user=alice&duration=30m`):
  // each of their requests' decisions in the log, as `serve --debug` prints every request's.
  const debug = o.debug;
  if (debug) {
    app.post('/system/debug', async (request) => {
      const params = parametersOf(request);
      const user = required(params, 'user');
      const duration = optional(params, 'duration') ?? DEFAULT_TRACE;
      const now = o.now();
      const ms = durationMs(duration);
      if (!(ms > 0 && ms <= MAX_USER_TRACE_MS)) {
        throw new HttpRequestError(`parameter 'duration' takes seconds or 30s, 10m, 2h up to 24h, not '${duration}'`);
      }
      const until = debug.traceUser(user, ms);
      request.log.info({ user, until: new Date(until).toISOString() }, 'debug trace on for a user');
      return adminResponse({ user, until: new Date(until).toISOString() }, null, now);
    });
  }
}
