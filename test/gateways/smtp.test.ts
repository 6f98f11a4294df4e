// The SMTP provider against real SMTP servers on loopback, with its server definitions in a real store.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/gateways/provider.js';
import { SmtpProvider } from '../../src/gateways/smtp.js';
import type { SmtpServerDefinition } from '../../src/store/smtp-servers.js';
import { tempDir } from '../helpers/fs.js';
import { startSilentServer, startSmtpPeer } from '../helpers/smtp.js';
import { openTestStore, type TestStore } from '../helpers/store.js';
import { selfSignedCertificate } from '../helpers/tls.js';

describe('SMTP provider', () => {
  let t: TestStore;
  const cert = selfSignedCertificate();
  const caFile = path.join(tempDir(), 'ca.pem');
  writeFileSync(caFile, cert.cert);

  beforeAll(async () => {
    t = await openTestStore('sqlite');
  });
  afterAll(async () => t.close());

  const server = (over: Partial<SmtpServerDefinition> & { port: number }): SmtpServerDefinition => ({
    identifier: 'mail1', description: '', server: '127.0.0.1', username: null, password: null,
    sender: 'otp@example.com', tls: false, timeout: 5, caFile: null, ...over,
  });

  async function send(def: SmtpServerDefinition, options: Record<string, string> = {}, phone = '+49 170 123', message = 'Code 287082') {
    await t.store.smtpServers.set(def);
    const provider = new SmtpProvider(
      { identifier: 'gw-mail', description: '', module: 'smtp', headers: {}, options: { SMTPIDENTIFIER: 'mail1', MAILTO: '{phone}@sms.example.com', ...options } },
      { scriptDirectory: '', smtpServers: t.store.smtpServers },
    );
    try {
      await provider.send(phone, message);
    } finally {
      await provider.close();
    }
  }

  async function failure(def: SmtpServerDefinition, options: Record<string, string> = {}): Promise<GatewayError> {
    try {
      await send(def, options);
    } catch (err) {
      expect(err).toBeInstanceOf(GatewayError);
      return err as GatewayError;
    }
    throw new Error('send succeeded');
  }

  it('mails the message to MAILTO with SUBJECT and BODY, tags filled and REGEXP applied', async () => {
    const peer = await startSmtpPeer({});
    await send(server({ port: peer.port }), { SUBJECT: 'OTP for {phone}', BODY: 'Your code: {otp}', REGEXP: '/[+ ]//' });
    expect(peer.mails).toHaveLength(1);
    expect(peer.mails[0]).toMatchObject({ from: 'otp@example.com', to: ['49170123@sms.example.com'], subject: 'OTP for 49170123', body: 'Your code: Code 287082' });
    await send(server({ port: peer.port }));
    expect(peer.mails[1]).toMatchObject({ subject: '+49 170 123', body: 'Code 287082' });
    await peer.close();
  });

  it('logs in with AUTH; a wrong password is reported without the password', async () => {
    const peer = await startSmtpPeer({ auth: { user: 'otp', pass: 's3cret-pw' } });
    await send(server({ port: peer.port, username: 'otp', password: 's3cret-pw' }));
    expect(peer.mails[0]?.user).toBe('otp');
    const err = await failure(server({ port: peer.port, username: 'otp', password: 'wrong-pw' }));
    expect(err.message).toMatch(/gateway gw-mail: SMTP server mail1 \(127.0.0.1:\d+\): login as otp refused \(535\)/);
    expect(err.message).not.toContain('wrong-pw');
    await peer.close();
  });

  it('requires STARTTLS with --tls and trusts the server through --ca-file', async () => {
    const peer = await startSmtpPeer({ tls: cert });
    expect((await failure(server({ port: peer.port, tls: true }))).message).toContain('TLS certificate not trusted; give the CA with --ca-file');
    await send(server({ port: peer.port, tls: true, caFile }));
    expect(peer.mails).toHaveLength(1);
    await peer.close();
    const plain = await startSmtpPeer({});
    expect((await failure(server({ port: plain.port, tls: true }))).message).toMatch(/STARTTLS/);
    await plain.close();
  });

  it('speaks implicit TLS to smtps:// servers', async () => {
    const peer = await startSmtpPeer({ tls: cert, implicitTls: true });
    await send(server({ server: 'smtps://127.0.0.1', port: peer.port, caFile }));
    expect(peer.mails).toHaveLength(1);
    await peer.close();
  });

  it('reports a refused recipient, a refused connection, a silent server and an undefined server', async () => {
    const refusing = await startSmtpPeer({ refuseRecipient: 550 });
    expect((await failure(server({ port: refusing.port }))).message).toMatch(/refused .*550/);
    await refusing.close();
    expect((await failure(server({ port: 9 }))).message).toContain('connection refused');
    const silent = await startSilentServer();
    const started = Date.now();
    expect((await failure(server({ port: silent.port, timeout: 1 }))).message).toContain('no answer within 1 s');
    expect(Date.now() - started).toBeLessThan(4000);
    await silent.close();
    await t.store.smtpServers.delete('mail1');
    const provider = new SmtpProvider(
      { identifier: 'gw-mail', description: '', module: 'smtp', headers: {}, options: { SMTPIDENTIFIER: 'nope', MAILTO: 'x@y' } },
      { scriptDirectory: '', smtpServers: t.store.smtpServers },
    );
    await expect(provider.send('+1', 'x')).rejects.toThrow("SMTP server 'nope' is not defined (smtpserver set nope --server HOST)");
  });

  it('checks its options when the gateway is defined', () => {
    const make = (options: Record<string, string>) => () =>
      new SmtpProvider({ identifier: 'g', description: '', module: 'smtp', headers: {}, options }, { scriptDirectory: '', smtpServers: t.store.smtpServers });
    expect(make({ MAILTO: 'x@y' })).toThrow(/option SMTPIDENTIFIER is required/);
    expect(make({ SMTPIDENTIFIER: 'm' })).toThrow(/option MAILTO is required/);
    expect(make({ SMTPIDENTIFIER: 'm', MAILTO: 'x', MAIL_TO: 'y' })).toThrow(/unknown option MAIL_TO/);
  });
});
