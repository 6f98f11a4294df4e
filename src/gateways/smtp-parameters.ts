// The smtp (email-to-SMS) module's parameters (src/gateways/declare.ts says how they are read).
import { REGEXP, type ModuleParameters } from './declare.js';

export const SMTP_PARAMETERS = {
  help: 'email-to-SMS through a central SMTP server (smtpserver set)',
  parameters: {
    SMTPIDENTIFIER: { required: true, maxLength: 64, source: 'an SMTP server id', help: 'the SMTP server (smtpserver set ID)' },
    MAILTO: { required: true, maxLength: 998, source: 'RFC 5322 line length', help: 'the recipient; {phone} is filled in' },
    SUBJECT: { maxLength: 998, source: 'RFC 5322 line length', default: '{phone}', help: 'the subject; {phone} and {otp} are filled in' },
    BODY: { default: '{otp}', help: 'the body; {phone} and {otp} are filled in' },
    REGEXP,
  },
  extraOptions: 'refused',
  headers: false,
  recipient: 'phone',
} as const satisfies ModuleParameters;
