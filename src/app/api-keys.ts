// Creating, listing and deleting the HTTP front's API keys: the application layer that the
// CLI's `apikey` commands use. Keys are not managed over HTTP: the first admin key has to come
// from the CLI anyway, and a leaked admin key should not be able to mint others. A key is
// returned once, at creation; afterwards only its hash exists.
import { ApiKeyHasher, newApiKey } from '../crypto/api-key.js';
import { NotFoundError, SmsOtpError } from '../core/errors.js';
import { API_KEY_ROLES, type ApiKeyRecord, type ApiKeyRole } from '../store/api-keys.js';
import type { Store } from '../store/index.js';
import { FREE_TEXT_LIMIT, mustBeAtMost } from './limits.js';

export { API_KEY_ROLES, type ApiKeyRole } from '../store/api-keys.js';

/** A stored key as a request presents it: its id (what the audit names) and its role. */
export interface ApiKeyHolder {
  readonly id: number;
  readonly role: ApiKeyRole;
}

/** What the HTTP front asks of the API keys: whose a presented key is, and whether one is needed. */
export interface ApiKeyGate {
  /** The id and role of a stored key, or undefined for a key nobody created (or one deleted since). */
  holderOf(key: string): Promise<ApiKeyHolder | undefined>;
  /** The setting api_key_required, as the site configuration has it now. */
  required(): boolean;
}

export interface MemoryApiKeyGateOptions {
  /** A key among those in memory. */
  readonly known: (key: string) => ApiKeyHolder | undefined;
  /** Reads the keys into memory again (the site configuration, when its revision moved). */
  readonly reread: () => Promise<void>;
  readonly required: () => boolean;
  /** Rereads that unknown keys cause start at most this often (ms): random keys cannot flood the store. */
  readonly minRereadMs?: number;
  readonly now?: () => number;
}

/**
 * The keys as the daemon keeps them in memory (reloaded by the site configuration's poll),
 * with one more look for a key it does not know: the store is read again before the key is
 * refused, so a key works as soon as `apikey create` has returned, not at the next poll.
 * The reread starts after the request came in (one already under way may predate the key)
 * and is shared by every unknown key that waits for it; rereads are at least minRereadMs
 * apart, however many unknown keys arrive.
 */
export class MemoryApiKeyGate implements ApiKeyGate {
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  private lastStart = -Infinity;
  private readonly minRereadMs: number;
  private readonly now: () => number;

  constructor(private readonly options: MemoryApiKeyGateOptions) {
    this.minRereadMs = options.minRereadMs ?? 100;
    this.now = options.now ?? Date.now;
  }

  async holderOf(key: string): Promise<ApiKeyHolder | undefined> {
    const known = this.options.known(key);
    if (known !== undefined) return known;
    // A store that cannot be read now refuses the unknown key, as before.
    await this.rereadFromNow().catch(() => undefined);
    return this.options.known(key);
  }

  required(): boolean {
    return this.options.required();
  }

  /** A reread that starts after this call, shared with every call until it starts. */
  private rereadFromNow(): Promise<void> {
    this.next ??= (async () => {
      await this.running?.catch(() => undefined);
      const wait = this.lastStart + this.minRereadMs - this.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      // From here on a new unknown key needs the reread after this one.
      this.next = undefined;
      this.lastStart = this.now();
      const run = this.options.reread();
      this.running = run;
      try {
        await run;
      } finally {
        if (this.running === run) this.running = undefined;
      }
    })();
    return this.next;
  }
}

/** A bad role, id or description for an API key (a usage error: exit status 2). */
export class ApiKeyAdminError extends SmsOtpError {
  override name = 'ApiKeyAdminError';
  readonly code = 'ERR_INVALID_VALUE';
}

/** What `apikey list` prints: never the key, never its hash. */
export interface ApiKeyView {
  readonly id: number;
  readonly role: ApiKeyRole;
  readonly description: string;
  readonly createdAt: string;
}

export const apiKeyView = (record: ApiKeyRecord): ApiKeyView => ({
  id: record.id,
  role: record.role,
  description: record.description,
  createdAt: new Date(record.createdAt).toISOString(),
});

export class ApiKeyAdmin {
  private readonly hasher: ApiKeyHasher;

  constructor(
    private readonly store: Store,
    macKey: Buffer,
  ) {
    this.hasher = new ApiKeyHasher(macKey);
  }

  /** A new key of `role`: the view and the key itself, which nothing can show again. */
  async create(role: string, description = ''): Promise<ApiKeyView & { readonly key: string }> {
    if (!isRole(role)) throw new ApiKeyAdminError(`--role must be one of ${API_KEY_ROLES.join(', ')}, not '${role}'`);
    mustBeAtMost(FREE_TEXT_LIMIT, description, '--description');
    const key = newApiKey();
    const record = await this.store.apiKeys.insert({ keyHash: this.hasher.hash(key), role, description });
    return { ...apiKeyView(record), key };
  }

  async list(): Promise<ApiKeyView[]> {
    return (await this.store.apiKeys.list()).map(apiKeyView);
  }

  async delete(id: string): Promise<void> {
    if (!/^\d{1,15}$/.test(id)) throw new ApiKeyAdminError(`an API key id is a number (see 'apikey list'), not '${id}'`);
    if (!(await this.store.apiKeys.delete(Number(id)))) throw new NotFoundError(`no API key with id ${id}`);
  }
}

const isRole = (role: string): role is ApiKeyRole => (API_KEY_ROLES as readonly string[]).includes(role);
