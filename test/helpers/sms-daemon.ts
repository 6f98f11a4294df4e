// The setup most e2e files share: gateway gw1 of module http posting to the test gateway
// (to={phone}, text={otp}), made the site's default gateway.
import type { TestDaemon } from './daemon.js';

/** Defines gw1 on `url` and sets sms.identifier to it; `configure` also waits for a running daemon to reload. */
export async function useHttpGateway(daemon: TestDaemon, url: string, how: 'ok' | 'configure' = 'ok'): Promise<void> {
  await daemon[how]('gateway', 'set', 'gw1', '--module', 'http', '--option', `URL=${url}`, '--option', 'to={phone}', '--option', 'text={otp}');
  await daemon[how]('setting', 'set', 'sms.identifier', 'gw1');
}
