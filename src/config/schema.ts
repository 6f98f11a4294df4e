// The node-local configuration file: what this one daemon needs before it can reach the
// shared store. Everything else (tokens, gateways, settings) lives in the store.
import { isIP } from 'node:net';
import { z } from 'zod';

const port = z.number().int().min(1).max(65535);

const cidr = z.string().refine(
  (value) => {
    const [address, bits, ...rest] = value.split('/');
    if (rest.length > 0 || !address) return false;
    const family = isIP(address);
    if (family === 0) return false;
    if (bits === undefined) return true;
    if (!/^\d+$/.test(bits)) return false;
    return Number(bits) <= (family === 4 ? 32 : 128);
  },
  { message: 'expected an IPv4 or IPv6 address with an optional /prefix, e.g. 192.0.2.0/24' },
);

const sqliteDatabase = z.strictObject({
  client: z.literal('sqlite'),
  filename: z.string().min(1),
});

const pgDatabase = z.strictObject({
  client: z.literal('pg'),
  url: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres://user@host:5432/db URL'),
  pool: z.strictObject({ min: z.number().int().min(0), max: z.number().int().min(1) }).optional(),
});

export const radiusClientSchema = z.strictObject({
  name: z.string().min(1),
  address: cidr,
  secret: z.string().min(1, 'a shared secret must not be empty'),
});

export const configSchema = z.strictObject({
  database: z.discriminatedUnion('client', [sqliteDatabase, pgDatabase], {
    error: "expected client: sqlite (with filename) or client: pg (with url)",
  }),
  secrets: z.strictObject({ keyfile: z.string().min(1) }),
  radius: z.strictObject({
    listen: z
      .array(
        z.strictObject({
          host: z.string().refine((h) => isIP(h) !== 0, 'expected an IPv4 or IPv6 address'),
          port,
        }),
      )
      .min(1),
    clients: z.array(radiusClientSchema).min(1),
  }),
  providers: z
    .strictObject({ script_directory: z.string().min(1) })
    .default({ script_directory: './config/scripts' }),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    })
    .default({ level: 'info' }),
});

export type Config = z.infer<typeof configSchema>;
export type DatabaseConfig = Config['database'];
export type RadiusClientConfig = z.infer<typeof radiusClientSchema>;
