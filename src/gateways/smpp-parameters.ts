// The smpp module's parameters (src/gateways/declare.ts says how they are read). Field sizes
// of SMPP 3.4 (section 4.1.1 bind, 4.4.1 submit_sm), without the closing NUL.
import { REGEXP, timeout, type ModuleParameters, type Parameter } from './declare.js';

const BYTE = (help: string): Parameter => ({ integer: { min: 0, max: 255, hex: true }, default: '0', help });

export const SMPP_PARAMETERS = {
  help: 'an SMSC over SMPP 3.4 (bind_transmitter, submit_sm)',
  parameters: {
    SMSC_HOST: { required: true, maxLength: 255, help: 'the SMSC host' },
    SMSC_PORT: { required: true, integer: { min: 1, max: 65535 }, help: 'its TCP port' },
    SYSTEM_ID: { maxLength: 15, source: 'SMPP 3.4 system_id', help: 'the bind system_id' },
    PASSWORD: { maxLength: 8, source: 'SMPP 3.4 password', secret: true, help: 'the bind password' },
    SYSTEM_TYPE: { maxLength: 12, source: 'SMPP 3.4 system_type', help: 'the bind system_type' },
    S_ADDR: { maxLength: 20, source: 'SMPP 3.4 source_addr', help: 'the sender' },
    S_ADDR_TON: BYTE('source type of number'),
    S_ADDR_NPI: BYTE('source numbering plan'),
    D_ADDR_TON: BYTE('destination type of number'),
    D_ADDR_NPI: BYTE('destination numbering plan'),
    REGISTERED_DELIVERY: BYTE('registered_delivery of submit_sm'),
    TIMEOUT: timeout(10),
    REGEXP,
  },
  extraOptions: 'refused',
  headers: false,
  recipient: 'phone',
} as const satisfies ModuleParameters;
