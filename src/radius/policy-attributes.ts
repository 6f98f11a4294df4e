// The reply_attribute action of authorization policies: `Name[:tag]=value`, e.g.
// `Class=vpn-admins`, `Cisco-AVPair=shell:priv-lvl=15` (a vendor attribute, found by its name
// in the loaded dictionaries), `Tunnel-Private-Group-Id:1=20` (RFC 2868 tagged). Checked at
// `policy set` (the composition root gives the core this checker) and encoded per accept by
// the `radius` package, as radius.accept_attributes are.
import { SettingError } from '../core/settings.js';
import { radiusLibrary, vendorOfAttribute } from './dictionary.js';
import type { RawAttribute } from './packet.js';
import { codeValue, encode, type LibAttribute } from './reply-attributes.js';

interface Spec {
  readonly name: string;
  readonly tag: number | undefined;
  readonly value: string;
}

const FORM = /^([A-Za-z][A-Za-z0-9._-]*)(?::(\d{1,2}))?=(.*)$/s;
const TAGS = /\{(user|realm|group|serial|client)\}/g;

function parse(spec: string): Spec {
  const m = FORM.exec(spec);
  if (!m) throw new SettingError(`reply_attribute '${spec}': write Name[:tag]=value (e.g. Class=vpn-admins, Tunnel-Type:1=VLAN)`);
  return { name: m[1]!, tag: m[2] === undefined ? undefined : Number(m[2]), value: m[3]! };
}

/** The library's form of a spec; throws a SettingError for an attribute no dictionary has. */
function libAttribute(spec: Spec): LibAttribute {
  const lib = radiusLibrary();
  const value = codeValue(spec.value);
  if (lib.attr_name_to_id(spec.name) !== undefined) return spec.tag === undefined ? [spec.name, value] : [spec.name, spec.tag, value];
  const vendor = vendorOfAttribute(spec.name);
  if (vendor === undefined) {
    throw new SettingError(`reply_attribute: unknown attribute '${spec.name}'; check the name (as in the FreeRADIUS dictionaries) or add its dictionary to radius.dictionaries`);
  }
  if (spec.tag !== undefined) throw new SettingError(`reply_attribute ${spec.name}:${spec.tag}: a vendor attribute takes no tag`);
  return ['Vendor-Specific', vendor, [[spec.name, value]]];
}

/** Checks one spec with its tags as they would be filled; throws a one-line SettingError saying what is wrong. */
export function checkReplyAttribute(raw: string): void {
  const spec = parse(raw);
  const sample = { ...spec, value: spec.value.replace(TAGS, 'x') };
  if (spec.tag !== undefined && (spec.tag < 0 || spec.tag > 31)) {
    throw new SettingError(`reply_attribute ${spec.name}:${spec.tag}: a tag is 0 to 31 (RFC 2868)`);
  }
  const noTag = () =>
    new SettingError(`reply_attribute ${spec.name}:${spec.tag}: ${spec.name} takes no tag (only RFC 2868 tunnel attributes such as Tunnel-Type do); write ${spec.name}=${spec.value}`);
  let encoded: RawAttribute[];
  try {
    encoded = encode([libAttribute(sample)]);
  } catch (err) {
    if (err instanceof SettingError) throw err;
    if (spec.tag !== undefined && encodes({ ...sample, tag: undefined })) throw noTag();
    throw new SettingError(`reply_attribute '${raw}': ${spec.name} cannot take '${spec.value}': ${(err as Error).message}`);
  }
  if (spec.tag !== undefined && !isTagged(sample, encoded[0]?.value)) throw noTag();
}

function encodes(spec: Spec): boolean {
  try {
    encode([libAttribute(spec)]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether the library wrote the tag as the value's first octet (a tagged attribute in its
 * dictionary): for a string the tag is prepended, for an integer it replaces the high octet.
 */
function isTagged(spec: Spec, tagged: Buffer | undefined): boolean {
  if (!tagged || tagged[0] !== spec.tag) return false;
  const plain = encode([libAttribute({ ...spec, tag: undefined })])[0]?.value;
  if (!plain) return false;
  return tagged.subarray(1).equals(plain) || (plain.length === tagged.length && plain[0] === 0 && tagged.subarray(1).equals(plain.subarray(1)));
}

/**
 * Encoded specs by their text: the library encodes through a whole throw-away packet (an MD5
 * and a deprecated Buffer call), which cost a tenth of a round 2 in the bench. Specs repeat
 * (most have no tag, or the same few users'): bounded, emptied when full.
 */
const encodedCache = new Map<string, RawAttribute[]>();
const CACHE_MAX = 4096;

/** The attributes of an accept's filled specs; a spec that no longer encodes (a dictionary changed) is left out and reported. */
export function encodeReplyAttributes(specs: readonly string[], onBad: (spec: string, reason: string) => void): RawAttribute[] {
  return specs.flatMap((raw) => {
    const cached = encodedCache.get(raw);
    if (cached) return cached;
    try {
      const attributes = encode([libAttribute(parse(raw))]);
      if (encodedCache.size >= CACHE_MAX) encodedCache.clear();
      encodedCache.set(raw, attributes);
      return attributes;
    } catch (err) {
      onBad(raw, (err as Error).message);
      return [];
    }
  });
}
