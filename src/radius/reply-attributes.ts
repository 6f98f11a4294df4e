// Attributes an operator adds to Access-Accept (Class, Filter-Id, vendor attributes...),
// named as in FreeRADIUS dictionaries and coded by the `radius` package. Each entry is
// checked once at start (an unknown attribute stops the daemon naming the config key);
// the tags {user} {realm} {serial} {client} are filled per request.
import type { RadiusConfig, ReplyAttributeConfig } from '../config/schema.js';
import { ConfigError } from '../config/load.js';
import { parsePacket, type RawAttribute } from './packet.js';
import { radiusLibrary } from './dictionary.js';

export interface AcceptContext {
  readonly user: string;
  readonly realm: string;
  readonly serial: string;
  readonly client: string;
}

/** An attribute as the `radius` package encodes it: plain, tagged (RFC 2868) or vendor-specific. */
export type LibAttribute = [string, unknown] | [string, number, unknown] | [string, number, LibAttribute[]];

interface CompiledAttribute {
  readonly template: string;
  build(value: string): LibAttribute;
}

const TAG = /\{(user|realm|serial|client)\}/g;

export class ReplyAttributes {
  private constructor(private readonly attributes: readonly CompiledAttribute[]) {}

  static compile(entries: readonly ReplyAttributeConfig[], configKey: string): ReplyAttributes {
    const lib = radiusLibrary();
    const compiled = entries.map((entry, i) => {
      const where = `${configKey}.${i}`;
      let vendorId: number | undefined;
      if (entry.vendor !== undefined) {
        vendorId = typeof entry.vendor === 'number' ? entry.vendor : lib.vendor_name_to_id(entry.vendor);
        if (vendorId === undefined) {
          throw new ConfigError(`${where}.vendor: unknown vendor '${entry.vendor}'; add its dictionary to radius.dictionaries`);
        }
      }
      if (lib.attr_name_to_id(entry.attribute, vendorId) === undefined) {
        throw new ConfigError(
          `${where}.attribute: unknown attribute '${entry.attribute}'${vendorId === undefined ? '' : ` of vendor ${entry.vendor}`}; ` +
            'check the name or add its dictionary to radius.dictionaries',
        );
      }
      const attribute: CompiledAttribute = {
        template: entry.value,
        build(value) {
          const coded = codeValue(value);
          return vendorId === undefined ? [entry.attribute, coded] : ['Vendor-Specific', vendorId, [[entry.attribute, coded]]];
        },
      };
      // Encode once with the tags as they stand, so a value the attribute's type cannot take fails now.
      const sample = entry.value.replace(TAG, 'x');
      try {
        encode([attribute.build(sample)]);
      } catch (err) {
        throw new ConfigError(`${where}.value: '${entry.value}' cannot be sent as ${entry.attribute}: ${(err as Error).message}`);
      }
      return attribute;
    });
    return new ReplyAttributes(compiled);
  }

  render(context: AcceptContext): RawAttribute[] {
    if (this.attributes.length === 0) return [];
    return encode(this.attributes.map((a) => a.build(a.template.replace(TAG, (_m, tag: keyof AcceptContext) => context[tag]))));
  }
}

/** `0x...` is raw octets; digits stay text here and the library codes them by the attribute's type. */
export function codeValue(value: string): unknown {
  if (/^0x([0-9a-fA-F]{2})+$/.test(value)) return Buffer.from(value.slice(2), 'hex');
  return value;
}

/** Codes attributes through the library by building a throw-away packet and reading its attributes back. */
export function encode(attributes: LibAttribute[]): RawAttribute[] {
  return attributes.flatMap((attribute) => {
    try {
      return encodeRaw(attribute);
    } catch (err) {
      // octets attributes want a Buffer: text given for them is sent as its UTF-8 bytes.
      if (!/must provide Buffer/.test((err as Error).message)) throw err;
      return encodeRaw(withBuffers(attribute));
    }
  });
}

function encodeRaw(attribute: LibAttribute): RawAttribute[] {
  const packet = radiusLibrary().encode({
    code: 'Access-Accept',
    secret: 'unused',
    identifier: 0,
    authenticator: Buffer.alloc(16),
    attributes: [attribute],
  });
  return [...parsePacket(packet).attributes];
}

function withBuffers(attr: LibAttribute): LibAttribute {
  if (attr.length === 3) return Array.isArray(attr[2]) ? [attr[0], attr[1], (attr[2] as LibAttribute[]).map(withBuffers)] : [attr[0], attr[1], typeof attr[2] === 'string' ? Buffer.from(attr[2], 'utf8') : attr[2]];
  const [name, value] = attr;
  return typeof value === 'string' ? [name, Buffer.from(value, 'utf8')] : attr;
}

/** The site's Access-Accept attributes under '', and each client's own where it has them. */
export function compileAcceptAttributes(radius: RadiusConfig): Map<string, ReplyAttributes> {
  const compiled = new Map([['', ReplyAttributes.compile(radius.accept_attributes, 'radius.accept_attributes')]]);
  radius.clients.forEach((client, i) => {
    if (client.accept_attributes) {
      compiled.set(client.name, ReplyAttributes.compile(client.accept_attributes, `radius.clients.${i}.accept_attributes`));
    }
  });
  return compiled;
}
