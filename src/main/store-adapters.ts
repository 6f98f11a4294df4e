// What the store needs decided by the adapters whose definitions it keeps: the gateway
// modules' secrecy and the failover block rule. Given to Store.open here, so that the store
// imports no adapter's behaviour.
import { blockDuration } from '../gateways/health.js';
import { isSecretEntry } from '../gateways/secrets.js';
import type { StoreAdapters } from '../store/index.js';

export const STORE_ADAPTERS: StoreAdapters = { gatewaySecrecy: isSecretEntry, blockDuration };
