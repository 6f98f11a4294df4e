// What a provider's failed send reports: it must be a GatewayError; its message is returned.
import { expect } from 'vitest';
import { GatewayError } from '../../src/gateways/provider.js';

export async function gatewayFailure(send: Promise<void>): Promise<string> {
  try {
    await send;
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    return (err as Error).message;
  }
  throw new Error('send succeeded');
}
