// privacyIDEA's passwd resolver: a file of passwd lines (name:x:uid:gid:GECOS:home:shell);
// its tokens name their owner by uid, so the login name is found again here.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describeFsError } from '../../errors.js';

/** A user of a passwd resolver: the login name and the MOBILE of the GECOS field (privacyIDEA's order: name, room, mobile, phone, email). */
export interface PasswdUser {
  readonly login: string;
  readonly mobile: string;
}

/** uid → user of the resolver file `fileName` (relative to `baseDir`), or why it cannot be read. */
export function readPasswdUsers(fileName: string, baseDir: string): ReadonlyMap<string, PasswdUser> | { problem: string } {
  const file = path.resolve(baseDir, fileName);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { problem: `cannot read its file ${file}: ${describeFsError(err)} (copy it next to the key file or give --resolver-dir)` };
  }
  const users = new Map<string, PasswdUser>();
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (line.startsWith('#') || fields.length < 3 || fields[0] === '') continue;
    users.set(fields[2]!, { login: fields[0]!, mobile: (fields[4] ?? '').split(',')[2]?.trim() ?? '' });
  }
  return users;
}
