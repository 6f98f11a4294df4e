// What each gateway module takes, as its declaration says (src/gateways/*-parameters.ts):
// `gateway modules` prints it, GET /smsgateway/providers answers it (privacyIDEA's endpoint
// of the same name lists its providers' parameters()).
import { MODULE_PARAMETERS, type ModuleName } from '../gateways/parameters.js';
import { NotFoundError } from '../core/errors.js';

export interface ParameterView {
  readonly name: string;
  readonly required: boolean;
  /** What the provider uses when it is unset; null: nothing. */
  readonly default: string | null;
  /** yes: sealed and censored; url: sealed, its password and query values censored; no. */
  readonly secret: 'yes' | 'url' | 'no';
  /** The allowed values, when the parameter has a fixed set. */
  readonly values: readonly string[] | null;
  readonly help: string;
}

export interface ModuleView {
  readonly module: string;
  readonly help: string;
  /** http: options not declared here are request parameters. */
  readonly requestParameters: boolean;
  /** --header is taken (every header value is a secret). */
  readonly headers: boolean;
  readonly parameters: readonly ParameterView[];
}

export function moduleViews(only?: string): ModuleView[] {
  const names = Object.keys(MODULE_PARAMETERS) as ModuleName[];
  if (only !== undefined && !(names as string[]).includes(only)) throw new NotFoundError(`no module '${only}'; one of ${names.join(', ')}`);
  return names
    .filter((m) => only === undefined || m === only)
    .map((module) => {
      const spec = MODULE_PARAMETERS[module];
      return {
        module,
        help: spec.help,
        requestParameters: spec.extraOptions === 'request-parameters',
        headers: spec.headers,
        parameters: Object.entries(spec.parameters).map(([name, p]) => ({
          name,
          required: 'required' in p && p.required === true,
          default: 'default' in p && p.default !== undefined ? p.default : null,
          secret: 'url' in p && p.url ? ('url' as const) : 'secret' in p && p.secret ? ('yes' as const) : ('no' as const),
          values: 'values' in p && p.values ? [...p.values] : null,
          help: p.help,
        })),
      };
    });
}
