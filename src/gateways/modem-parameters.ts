// The modem module's parameters (src/gateways/declare.ts says how they are read).
import { PATH_LENGTH, REGEXP, timeout, type ModuleParameters } from './declare.js';

export const MODEM_PARAMETERS = {
  help: 'a GSM modem on a serial port (AT commands, PDU or text mode)',
  parameters: {
    PORT: { required: true, maxLength: PATH_LENGTH, help: 'the serial device, e.g. /dev/ttyUSB0' },
    BAUDRATE: { integer: { min: 300, max: 4_000_000 }, default: '115200', help: 'the line speed' },
    PIN: { pattern: { re: /^\d{4,8}$/, rule: 'the SIM PIN, 4 to 8 digits' }, secret: true, help: 'the SIM PIN, when the SIM asks for one' },
    MODE: { values: ['pdu', 'text'], default: 'pdu', help: 'pdu (any text, long SMS) or text' },
    SMSC_NUMBER: { pattern: { re: /^\+?\d{1,20}$/, rule: 'a number: optional +, 1 to 20 digits' }, help: "the SMS centre, when not the SIM's" },
    TIMEOUT: timeout(20),
    REGEXP,
  },
  extraOptions: 'refused',
  headers: false,
  recipient: 'phone',
} as const satisfies ModuleParameters;
