// The web UI's sessions in the store (migration 0025, src/app/web-sessions.ts), on SQLite and
// PostgreSQL: @fastify/session keeps a session through the store across two servers of one
// site; the table holds the HMAC of the id, never the id; an expired session is none, and its
// row goes; destroy and the purge remove rows.
import { createHmac } from 'node:crypto';
import { promisify } from 'node:util';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreSessionStore } from '../../src/app/web-sessions.js';
import { keysFromMaster } from '../../src/crypto/keyfile.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/store.js';

declare module 'fastify' {
  interface Session {
    who?: string;
  }
}

const KEY = keysFromMaster(Buffer.alloc(32, 42)).webSessionKey;
const SECRET = 'a-cookie-signing-secret-of-32-characters-or-more';
const hashOf = (id: string) => createHmac('sha256', KEY).update(id).digest('hex');

describe.each(STORE_KINDS)('web sessions on %s', (kind) => {
  let t: TestStore;
  const apps: FastifyInstance[] = [];
  beforeAll(async () => {
    t = await openTestStore(kind);
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await t?.close();
  });

  const rows = async () => (await t.store.knex('web_sessions').select('id', 'expires_at', 'data')) as Array<{ id: string; expires_at: number | string; data: string }>;

  /** One node of the site: its own process memory, the store shared. */
  async function node(maxAge = 60_000): Promise<FastifyInstance> {
    const app = Fastify();
    await app.register(fastifyCookie);
    await app.register(fastifySession, {
      secret: SECRET,
      cookieName: 'sid',
      cookie: { secure: false, maxAge },
      saveUninitialized: false,
      store: new StoreSessionStore({ sessions: t.store.webSessions, key: KEY }),
    });
    app.post('/in', async (request) => {
      request.session.set('who', 'alice@corp');
      return 'ok';
    });
    app.get('/me', async (request) => request.session.get('who') ?? 'nobody');
    app.post('/out', async (request) => {
      await request.session.destroy();
      return 'bye';
    });
    apps.push(app);
    return app;
  }
  const cookieOf = (res: { cookies: Array<{ name: string; value: string }> }) => res.cookies.find((c) => c.name === 'sid')!.value;

  it('a session signed in on one node is known on another; the store holds the HMAC of its id, never the id', async () => {
    const [a, b] = [await node(), await node()];
    const signedIn = await a.inject({ method: 'POST', url: '/in' });
    const cookie = cookieOf(signedIn);
    const sessionId = cookie.slice(0, cookie.lastIndexOf('.'));
    expect((await b.inject({ url: '/me', cookies: { sid: cookie } })).body).toBe('alice@corp');
    const stored = (await rows()).find((r) => r.id === hashOf(sessionId));
    expect(stored).toBeDefined();
    expect(JSON.parse(stored!.data)).toMatchObject({ who: 'alice@corp' });
    const everything = JSON.stringify(await rows());
    expect(everything).not.toContain(sessionId);
    // The cookie's expiry is the row's: the session ends on every node when the cookie does.
    expect(Math.abs(Number(stored!.expires_at) - (Date.now() + 60_000))).toBeLessThan(5_000);

    expect((await b.inject({ method: 'POST', url: '/out', cookies: { sid: cookie } })).body).toBe('bye');
    expect((await rows()).some((r) => r.id === hashOf(sessionId))).toBe(false);
    expect((await a.inject({ url: '/me', cookies: { sid: cookie } })).body).toBe('nobody');
  });

  it('a session past its expiry is none, and its row is deleted on the read', async () => {
    const app = await node(400);
    const cookie = cookieOf(await app.inject({ method: 'POST', url: '/in' }));
    const sessionId = cookie.slice(0, cookie.lastIndexOf('.'));
    expect((await app.inject({ url: '/me', cookies: { sid: cookie } })).body).toBe('alice@corp');
    await new Promise((resolve) => setTimeout(resolve, 600));
    // The store refuses it on its own (not only @fastify/session's check of the cookie's date).
    const store = new StoreSessionStore({ sessions: t.store.webSessions, key: KEY });
    expect(await promisify(store.get.bind(store))(sessionId)).toBeNull();
    expect((await rows()).some((r) => r.id === hashOf(sessionId))).toBe(false);
    expect((await app.inject({ url: '/me', cookies: { sid: cookie } })).body).toBe('nobody');
  });

  it('the adapter alone: set, get, destroy by callbacks; a cookie without expiry lives ttlMs; the purge takes only what expired', async () => {
    await t.store.knex('web_sessions').delete();
    let clock = 1_000_000;
    const store = new StoreSessionStore({ sessions: t.store.webSessions, key: KEY, ttlMs: 10_000, now: () => clock });
    const set = promisify(store.set.bind(store));
    const get = promisify(store.get.bind(store));
    const destroy = promisify(store.destroy.bind(store));
    const session = (who: string, expires?: number) =>
      ({ who, cookie: { originalMaxAge: null, ...(expires === undefined ? {} : { expires: new Date(expires) }) } }) as unknown as Parameters<typeof set>[1];

    await set('s-forever', session('a'));
    await set('s-short', session('b', clock + 1_000));
    await set('s-long', session('c', clock + 100_000));
    expect(await get('s-forever')).toMatchObject({ who: 'a' });
    expect(Number((await rows()).find((r) => r.id === hashOf('s-forever'))!.expires_at)).toBe(clock + 10_000);
    await set('s-forever', session('a2'));
    expect(await get('s-forever')).toMatchObject({ who: 'a2' });
    expect(await get('s-unknown')).toBeNull();

    clock += 20_000;
    expect(await store.purgeExpired()).toBe(2);
    expect((await rows()).map((r) => r.id)).toEqual([hashOf('s-long')]);
    expect(await get('s-long')).toMatchObject({ who: 'c' });
    await destroy('s-long');
    expect(await get('s-long')).toBeNull();
    await destroy('s-long'); // destroying what is gone is no error
    expect(await rows()).toEqual([]);
  });

  it('a store that cannot be used hands the error to the callback, never throws', async () => {
    const closed = await openTestStore(kind);
    await closed.close();
    const broken = new StoreSessionStore({ sessions: closed.store.webSessions, key: KEY });
    await expect(promisify(broken.get.bind(broken))('x')).rejects.toThrow();
    await expect(promisify(broken.destroy.bind(broken))('x')).rejects.toThrow();
  });
});
