// privacyIDEA-style text templates: `{tag}` is replaced by its value, an unknown tag by
// nothing; the legacy `<otp>` and `<serial>` forms still work in the SMS text.

import { redactPhone } from './redact.js';

export type Tags = Readonly<Record<string, string>>;

export function renderTemplate(template: string, tags: Tags): string {
  // One pass, so a tag's value (a user name, say) is never read as a template itself.
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}|<(otp|serial)>/g, (_m, tag?: string, legacy?: string) => {
    const name = tag ?? legacy ?? '';
    return Object.hasOwn(tags, name) ? (tags[name] ?? '') : '';
  });
}

/** `{phone}` and `{phone_redacted}` (masked by the rule audit rows share, src/core/redact.ts). */
export function phoneTags(phone: string): Record<string, string> {
  return { phone, phone_redacted: redactPhone(phone) };
}

export interface TemplateUser {
  readonly username: string;
  readonly realm: string;
  /** From the user directory, where one is attached; empty otherwise, as for an unknown tag. */
  readonly givenname?: string;
  readonly surname?: string;
  readonly email?: string;
  /** The person's directory groups, where the user store reads them. */
  readonly groups?: readonly string[];
  /** The group the policies that decided this login picked for {group} (src/core/policies/compiled.ts). */
  readonly group?: string;
}

export function userTags(user: TemplateUser): Record<string, string> {
  return {
    user: user.username,
    username: user.username,
    userrealm: user.realm,
    givenname: user.givenname ?? '',
    surname: user.surname ?? '',
    email: user.email ?? '',
    group: user.group ?? user.groups?.[0] ?? '',
  };
}

export function timeTags(now: Date): Record<string, string> {
  const pad = (n: number) => String(n).padStart(2, '0');
  return {
    time: `${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`,
    date: `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`,
  };
}
