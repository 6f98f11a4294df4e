// Attribute names and value coding come from the `radius` package's RFC dictionaries plus
// the FreeRADIUS-format files in dictionaries/ (vendor attributes for reply mapping).
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import { ConfigError } from '../config/load.js';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RadiusPacket } from './packet.js';
import { Attr } from './packet.js';

export interface RadiusLib {
  add_dictionary(file: string): void;
  load_dictionaries(): void;
  attr_id_to_name(id: number | string, vendor?: number): string | undefined;
  attr_name_to_id(name: string, vendor?: number): number | string | undefined;
  vendor_name_to_id(name: string): number | undefined;
  decode_without_secret(args: { packet: Buffer }): { attributes: Record<string, unknown> };
  encode(args: { code: string; secret: string; identifier: number; authenticator: Buffer; attributes: unknown[] }): Buffer;
}

const radius = createRequire(import.meta.url)('radius') as RadiusLib;

export const DEFAULT_DICTIONARY_DIR = fileURLToPath(new URL('../../dictionaries', import.meta.url));

let loaded = false;
/** The vendors the loaded files declare (VENDOR lines), to find a vendor attribute by its name alone. */
const vendorIds = new Set<number>();

function noteVendors(file: string): void {
  for (const m of readFileSync(file, 'utf8').matchAll(/^VENDOR\s+\S+\s+(\d+)/gm)) vendorIds.add(Number(m[1]));
}

/**
 * Loads the RFC dictionaries, ours in dictionaries/, and the operator's extra files
 * (radius.dictionaries). Once per process: the library keeps them globally.
 */
export function loadDictionaries(extraFiles: readonly string[] = [], directory = DEFAULT_DICTIONARY_DIR): void {
  if (loaded) return;
  for (const file of readdirSync(directory).filter((f) => f.startsWith('dictionary')).sort()) {
    radius.add_dictionary(path.join(directory, file));
    noteVendors(path.join(directory, file));
  }
  for (const file of extraFiles) {
    try {
      accessSync(file, constants.R_OK);
    } catch {
      throw new ConfigError(`radius.dictionaries: cannot read ${file}`);
    }
    radius.add_dictionary(path.resolve(file));
    noteVendors(path.resolve(file));
  }
  radius.load_dictionaries();
  loaded = true;
}

/** The coding library with the dictionaries loaded. */
export function radiusLibrary(): RadiusLib {
  loadDictionaries();
  return radius;
}

/** The vendor whose dictionary defines an attribute of this name (undefined: none does). */
export function vendorOfAttribute(name: string): number | undefined {
  loadDictionaries();
  for (const id of vendorIds) if (radius.attr_name_to_id(name, id) !== undefined) return id;
  return undefined;
}

/** The request's attributes by name, for debug logs; User-Password is never included. */
export function describeAttributes(packet: RadiusPacket): Record<string, unknown> {
  loadDictionaries();
  const decoded = radius.decode_without_secret({ packet: packet.raw }).attributes;
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(decoded)) {
    if (name === radius.attr_id_to_name(Attr.UserPassword)) continue;
    out[name] = Buffer.isBuffer(value) ? `0x${value.toString('hex')}` : value;
  }
  return out;
}
