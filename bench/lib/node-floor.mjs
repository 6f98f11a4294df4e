#!/usr/bin/env node
// The floor of a RADIUS server in Node on this machine: a bare responder that does, per
// request, the work no Node implementation of these rows can skip (the daemon's own packet
// functions from dist/: parse, Message-Authenticator check, the State's MAC, User-Password
// decryption, a signed reply) and nothing else: no client table, no duplicate cache, no
// login core, no metrics, no promises. Run as its own process so the bench measures its CPU
// as it measures the daemon's and FreeRADIUS's.
//   node bench/lib/node-floor.mjs DIST_DIR PORT SECRET
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [distDir, portArg, secretText] = process.argv.slice(2);
const load = (m) => import(pathToFileURL(path.join(distDir, `${m}.js`)).href);
const { Attr, Code, parsePacket, checkMessageAuthenticator, decryptPassword, encodeResponse, firstAttribute, splitText } = await load('radius/packet');
const { TransactionIds } = await load('core/transaction-ids');

const secret = Buffer.from(secretText);
const ids = new TransactionIds(randomBytes(32));
const rejectMessage = splitText(Attr.ReplyMessage, 'The code is not valid: log in again.');
const socket = dgram.createSocket('udp4');

socket.on('message', (datagram, peer) => {
  let packet;
  try {
    packet = parsePacket(datagram);
  } catch {
    return;
  }
  if (checkMessageAuthenticator(packet, secret) === 'invalid') return;
  let reply;
  if (packet.code === Code.StatusServer) reply = encodeResponse(Code.AccessAccept, packet, [], secret);
  else {
    const hidden = firstAttribute(packet, Attr.UserPassword);
    if (hidden) decryptPassword(hidden, secret, packet.authenticator);
    const state = firstAttribute(packet, Attr.State);
    const verdict = state ? ids.check(state.toString('latin1'), Date.now()) : 'forged';
    reply = encodeResponse(verdict === 'plausible' ? Code.AccessChallenge : Code.AccessReject, packet, rejectMessage, secret);
  }
  socket.send(reply, peer.port, peer.address);
});
socket.bind(Number(portArg), '127.0.0.1', () => {
  socket.setRecvBufferSize(4 * 1024 * 1024); // as the daemon asks (src/radius/server.ts): a burst waits there
  process.stdout.write('ready\n');
});
// A clean exit on the bench's SIGTERM, so that a CPU profile (--cpu-prof) is written.
process.on('SIGTERM', () => process.exit(0));
