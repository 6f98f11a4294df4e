// Status-Server (RFC 5997): Access-Accept while the daemon can answer in time, silence
// otherwise, so that a NAS fails over from a node whose store is gone or whose work queue is
// full. Synchronous: health is kept up to date in memory, never asked of the store per packet.
import type { RadiusClient } from '../clients.js';
import { Code, encodeResponse, type RadiusPacket } from '../packet.js';

export function answerStatusServer(packet: RadiusPacket, client: RadiusClient, healthy: boolean): Buffer | undefined {
  return healthy ? encodeResponse(Code.AccessAccept, packet, [], client.secret) : undefined;
}
