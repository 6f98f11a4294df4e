// The part of the `smpp` package (no published types) that the SMPP provider and its tests use.
declare module 'smpp' {
  import { EventEmitter } from 'node:events';

  export interface Pdu {
    command: string;
    command_status: number;
    sequence_number: number;
    [field: string]: unknown;
    response(options?: Record<string, unknown>): Pdu;
  }

  export class Session extends EventEmitter {
    send(pdu: Pdu, responseCallback?: (pdu: Pdu) => void): boolean;
    bind_transmitter(options: Record<string, unknown>, callback: (pdu: Pdu) => void): boolean;
    submit_sm(options: Record<string, unknown>, callback: (pdu: Pdu) => void): boolean;
    enquire_link(callback?: (pdu: Pdu) => void): boolean;
    unbind(callback?: (pdu: Pdu) => void): boolean;
    close(callback?: () => void): void;
    destroy(callback?: () => void): void;
    pause(): void;
    resume(): void;
  }

  export interface Server extends EventEmitter {
    listen(port: number, host: string, callback?: () => void): void;
    close(callback?: () => void): void;
    address(): { port: number };
  }

  export function connect(options: { host: string; port: number; auto_enquire_link_period?: number; connectTimeout?: number }, listener?: () => void): Session;
  export function createServer(options: Record<string, unknown>, listener: (session: Session) => void): Server;

  export const errors: Record<string, number>;
  export const encodings: Record<string, { match(text: string): boolean; encode(text: string): Buffer }>;
  export const consts: { ENCODING: Record<string, number> };
  const smpp: {
    connect: typeof connect;
    createServer: typeof createServer;
    errors: typeof errors;
    encodings: typeof encodings;
    consts: typeof consts;
  };
  export default smpp;
}
