// The firebase (push) module's parameters (src/gateways/declare.ts says how they are read).
import { PATH_LENGTH, proxy, REGEXP, timeout, type ModuleParameters } from './declare.js';

export const FIREBASE_PARAMETERS = {
  help: 'a push notification through Firebase Cloud Messaging (HTTP v1) to an app',
  parameters: {
    JSON_CONFIG: { required: true, maxLength: PATH_LENGTH, help: "the service account's JSON file" },
    PROJECT_ID: { maxLength: 128, help: "the Firebase project (default: the service account file's project_id)" },
    HTTPS_PROXY: proxy('proxy for Google'),
    // privacyIDEA's name for HTTPS_PROXY, kept so migrated definitions work.
    httpsproxy: proxy("privacyIDEA's name for HTTPS_PROXY"),
    CA_FILE: { maxLength: PATH_LENGTH, help: "a CA file for a TLS-inspecting proxy" },
    TTL: { seconds: true, default: '300', help: 'seconds the push may wait for the device' },
    TIMEOUT: timeout(10),
    REGEXP,
  },
  extraOptions: 'refused',
  headers: false,
  recipient: 'device-token',
} as const satisfies ModuleParameters;
