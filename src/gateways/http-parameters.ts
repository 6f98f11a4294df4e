// The http module's parameters (src/gateways/declare.ts says how they are read).
import { credential, proxy, REGEXP, timeout, URL_LENGTH, YES_NO, type ModuleParameters } from './declare.js';

export const HTTP_PARAMETERS = {
  help: 'any SMS gateway with a plain GET or POST API; every other option is a request parameter',
  parameters: {
    URL: { required: true, url: true, maxLength: URL_LENGTH, help: 'where requests go; user:password@ in it is basic auth' },
    HTTP_METHOD: { values: ['GET', 'POST'], default: 'GET', help: 'GET (query string) or POST (form body)' },
    HTTP_Method: { values: ['GET', 'POST'], help: "privacyIDEA's older name for HTTP_METHOD" },
    CHECK_SSL: { values: YES_NO, default: 'yes', help: 'no accepts any certificate (testing only)' },
    SEND_DATA_AS_JSON: { values: YES_NO, default: 'no', help: 'yes: POST a JSON body' },
    USERNAME: credential('basic auth user'),
    PASSWORD: credential('basic auth password', { secret: true }),
    RETURN_SUCCESS: { help: 'the answer must contain this text (checked first)' },
    RETURN_FAIL: { help: 'the answer must not contain this text' },
    REGEXP,
    PROXY: proxy('proxy for http and https URLs (deprecated: HTTP_PROXY, HTTPS_PROXY)'),
    HTTP_PROXY: proxy('proxy for an http:// URL'),
    HTTPS_PROXY: proxy('proxy for an https:// URL'),
    TIMEOUT: timeout(3),
    SMS_PHONENUMBER_KEY: { maxLength: 255, help: 'legacy: the name of the request parameter that takes the phone number' },
    SMS_TEXT_KEY: { maxLength: 255, help: 'legacy: the name of the request parameter that takes the text' },
    PARAMETER: { maxLength: 4096, help: 'legacy: fixed request parameters, k=v&k2=v2 or a JSON object' },
  },
  extraOptions: 'request-parameters',
  headers: true,
  recipient: 'phone',
} as const satisfies ModuleParameters;
