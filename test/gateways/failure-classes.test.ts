// Each provider classes its own failures (unreachable, refused, configuration) against real
// peers: a failover gateway blocks a member only for `unreachable`, so a wrong class either
// hides an outage or blocks a healthy gateway for a refusal meant for one number.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpProvider } from '../../src/gateways/http.js';
import { GatewayError, type GatewayFailure } from '../../src/gateways/provider.js';
import { ScriptProvider } from '../../src/gateways/script.js';
import { SmtpProvider } from '../../src/gateways/smtp.js';
import { freeTcpPort } from '../helpers/daemon.js';
import { tempDir } from '../helpers/fs.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';

async function classOf(send: Promise<void>): Promise<GatewayFailure> {
  const err = await send.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  return (err as GatewayError).failure;
}

/** Whether the failure says the message surely reached no gateway (not counted in the SMS limits). */
async function undeliveredOf(send: Promise<void>): Promise<boolean> {
  const err = await send.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  return (err as GatewayError).undelivered;
}

const noContext = { scriptDirectory: '', smtpServers: { get: async () => undefined } };
const http = (options: Record<string, string>) =>
  new HttpProvider({ identifier: 'gw', description: '', module: 'http', options: { to: '{phone}', text: '{otp}', ...options }, headers: {} });

describe('failure classes decided by the providers', () => {
  let gw: SmsGateway;
  beforeAll(async () => {
    gw = await startSmsGateway();
  });
  afterAll(async () => gw?.close());

  it('http: a closed port and a 5xx are unreachable; a 4xx and RETURN_FAIL are refusals', async () => {
    expect(await classOf(http({ URL: `http://127.0.0.1:${await freeTcpPort()}/sms` }).send('+49170', 'x'))).toBe('unreachable');
    gw.respond(503, 'busy');
    expect(await classOf(http({ URL: gw.url }).send('+49170', 'x'))).toBe('unreachable');
    gw.respond(400, 'bad number');
    expect(await classOf(http({ URL: gw.url }).send('+49170', 'x'))).toBe('refused');
    gw.respond(200, 'ERR: no credit');
    expect(await classOf(http({ URL: gw.url, RETURN_FAIL: 'ERR' }).send('+49170', 'x'))).toBe('refused');
    gw.respond(200, 'OK', 400);
    expect(await classOf(http({ URL: gw.url, TIMEOUT: '0.1' }).send('+49170', 'x'))).toBe('unreachable');
    gw.respond(200, 'OK');
    await http({ URL: gw.url }).send('+49170', 'x');
  });

  it('http: refused and never connected are surely undelivered; a 5xx and a timeout may have been taken', async () => {
    expect(await undeliveredOf(http({ URL: `http://127.0.0.1:${await freeTcpPort()}/sms` }).send('+49170', 'x'))).toBe(true);
    expect(await undeliveredOf(http({ URL: 'http://no-such-host.invalid/sms' }).send('+49170', 'x'))).toBe(true);
    gw.respond(400, 'bad number');
    expect(await undeliveredOf(http({ URL: gw.url }).send('+49170', 'x'))).toBe(true);
    gw.respond(503, 'busy');
    expect(await undeliveredOf(http({ URL: gw.url }).send('+49170', 'x'))).toBe(false);
    gw.respond(200, 'OK', 400);
    expect(await undeliveredOf(http({ URL: gw.url, TIMEOUT: '0.1' }).send('+49170', 'x'))).toBe(false);
    gw.respond(200, 'OK');
  });

  it('script: a non-zero exit is a refusal, a timeout unreachable, a missing script configuration', async () => {
    const dir = path.join(tempDir(), 'scripts');
    mkdirSync(dir);
    for (const [name, body] of Object.entries({ 'no.sh': 'exit 1', 'slow.sh': 'sleep 5' })) {
      writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`);
      chmodSync(path.join(dir, name), 0o755);
    }
    const script = (options: Record<string, string>) =>
      new ScriptProvider({ identifier: 'gw', description: '', module: 'script', options: { BACKGROUND: 'wait', ...options }, headers: {} }, { ...noContext, scriptDirectory: dir });
    expect(await classOf(script({ SCRIPT: 'no.sh' }).send('+1', 'x'))).toBe('refused');
    expect(await classOf(script({ SCRIPT: 'slow.sh', TIMEOUT: '0.2' }).send('+1', 'x'))).toBe('unreachable');
    expect(() => script({ SCRIPT: 'missing.sh' })).toThrow(expect.objectContaining({ failure: 'configuration' }));
  });

  it('smtp: an SMTP server that is not defined is configuration', async () => {
    const smtp = new SmtpProvider({ identifier: 'gw', description: '', module: 'smtp', options: { SMTPIDENTIFIER: 'none', MAILTO: 'x@example.org' }, headers: {} }, noContext);
    expect(await classOf(smtp.send('+1', 'x'))).toBe('configuration');
  });
});
