// An SMSC on loopback: the smpp package's own server, recording binds, submits and unbinds.
import smpp, { type Pdu, type Session } from 'smpp';

export interface Smsc {
  readonly port: number;
  readonly binds: Pdu[];
  readonly submits: Pdu[];
  readonly unbinds: number;
  /** Stop answering submit_sm (the SMSC hangs). */
  hang(): void;
  close(): Promise<void>;
}

export async function startSmsc(options: { systemId?: string; password?: string; port?: number } = {}): Promise<Smsc> {
  const binds: Pdu[] = [];
  const submits: Pdu[] = [];
  const sessions = new Set<Session>();
  let unbinds = 0;
  let hanging = false;
  let messageId = 0;
  const server = smpp.createServer({}, (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
    session.on('error', () => undefined);
    session.on('bind_transmitter', (pdu: Pdu) => {
      binds.push(pdu);
      const ok = pdu.system_id === (options.systemId ?? 'otp') && pdu.password === (options.password ?? 'pw');
      session.send(pdu.response(ok ? {} : { command_status: smpp.errors.ESME_RINVPASWD }));
    });
    session.on('submit_sm', (pdu: Pdu) => {
      submits.push(pdu);
      if (!hanging) session.send(pdu.response({ message_id: String(++messageId) }));
    });
    session.on('enquire_link', (pdu: Pdu) => session.send(pdu.response()));
    session.on('unbind', (pdu: Pdu) => {
      unbinds++;
      session.send(pdu.response());
      session.close();
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    binds,
    submits,
    get unbinds() {
      return unbinds;
    },
    hang() {
      hanging = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        sessions.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
  };
}
