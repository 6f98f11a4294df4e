// The sipgate module's parameters (src/gateways/declare.ts says how they are read).
import { credential, proxy, REGEXP, timeout, URL_LENGTH, type ModuleParameters } from './declare.js';

export const SIPGATE_URL = 'https://samurai.sipgate.net/RPC2';

export const SIPGATE_PARAMETERS = {
  help: "sipgate's XML-RPC API (samurai.SessionInitiate)",
  parameters: {
    URL: { url: true, maxLength: URL_LENGTH, default: SIPGATE_URL, help: 'the XML-RPC endpoint' },
    USERNAME: credential('the sipgate account', { required: true }),
    PASSWORD: credential('its password', { required: true, secret: true }),
    PROXY: proxy('proxy (deprecated: HTTPS_PROXY)'),
    HTTPS_PROXY: proxy('proxy for the https:// endpoint'),
    TIMEOUT: timeout(10),
    REGEXP,
  },
  extraOptions: 'refused',
  headers: false,
  recipient: 'phone',
} as const satisfies ModuleParameters;
