// The script module's parameters (src/gateways/declare.ts says how they are read).
import { REGEXP, timeout, type ModuleParameters } from './declare.js';

export const SCRIPT_PARAMETERS = {
  help: 'runs a script of providers.script_directory with the phone number and the text',
  parameters: {
    SCRIPT: { required: true, maxLength: 255, source: 'a file name', help: 'a file name inside providers.script_directory' },
    BACKGROUND: { values: ['background', 'wait'], default: 'background', help: 'background returns at once; wait waits for the exit status' },
    TIMEOUT: timeout(30),
    REGEXP,
  },
  extraOptions: 'refused',
  headers: false,
  recipient: 'phone',
} as const satisfies ModuleParameters;
