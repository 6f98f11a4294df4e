// Settings that let people in with less than two factors, said out loud in the log at start
// and at every reload while they are on, so that nobody runs with one without knowing it.
import type { Logger } from 'pino';
import { passthruOf, type SettingValues } from '../core/settings.js';
import type { CompiledPolicies } from '../core/policies/compiled.js';

const DOORS = {
  passthru: 'users of a user store without a token log in with their directory password alone',
  passOnNoToken: 'users without a token are let in without any check',
  passOnNoUser: 'login names nobody knows are let in without any check',
} as const;

export function warnOfOpenDoors(log: Logger, settings: SettingValues, policies?: CompiledPolicies): void {
  // A policy opens the same doors for the logins it matches.
  for (const policy of policies?.active ?? []) {
    for (const { key, value } of policy.actions) {
      if (key in DOORS && value !== 'false') {
        log.warn({ policy: policy.name, action: key }, `policy ${policy.name} sets ${key}=${value} for the logins it matches: ${DOORS[key as keyof typeof DOORS]}`);
      }
      if (key === 'otppin' && value === 'none') log.warn({ policy: policy.name, action: key }, `policy ${policy.name} sets otppin=none: the OTP alone logs in for the logins it matches`);
    }
  }
  for (const [key, meaning] of Object.entries(DOORS) as Array<[keyof typeof DOORS, string]>) {
    if (key === 'passthru' ? passthruOf(settings.passthru).kind === 'directory' : settings[key]) log.warn({ setting: key }, `setting ${key} is on: ${meaning}`);
  }
  const passthru = passthruOf(settings.passthru);
  if (passthru.kind === 'radius') {
    // Not a door (the other server checks), but the login no longer depends on us alone.
    log.warn({ setting: 'passthru' }, `setting passthru is radius:${passthru.server}: logins without a token are forwarded to the RADIUS server ${passthru.server}, which decides`);
  }
  if (settings.enroll_via_multichallenge !== '' && settings.otppin === 'tokenpin') {
    // Said, not refused: the two settings are set one after the other.
    log.warn({ setting: 'enroll_via_multichallenge' }, 'setting enroll_via_multichallenge has no effect while otppin is tokenpin: a user without a token has no PIN to pass');
  }
  if (settings.otppin === 'none') log.warn({ setting: 'otppin' }, 'setting otppin is none: the OTP alone logs in, and any password sends an SMS');
}
