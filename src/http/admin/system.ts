// privacyIDEA's /system/ endpoints for the site-wide settings: read them all, or set some.
// The same application layer as the CLI's `setting` commands (src/app/settings-admin.ts):
// validated by the settings registry, whose messages name the key, all or none of a request
// stored, and the configuration revision moved so that every daemon applies them in a second.
import type { FastifyInstance } from 'fastify';
import type { SettingsAdmin } from '../../app/settings-admin.js';
import { adminResponse } from '../responses.js';
import { parametersOf } from './requests.js';

export interface SystemRoutesOptions {
  readonly settings: SettingsAdmin;
  readonly now: () => number;
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
    const changes = await o.settings.set([...parametersOf(request)]);
    return adminResponse(Object.fromEntries(changes.map((c) => [c.key, c.inserted ? 'insert' : 'update'])), null, o.now());
  });
}
