/**
 * Command-line options as data: one table per command, `{ flag: { type, default, help, ... } }`. From
 * a table come the usage text (every default stated from the table itself), the parsing and
 * checking of argv into typed values, and, for tables that map options onto settings (the trainer's,
 * src/train/options.ts), the settings. It lives below every layer so that a layer can own its
 * command's table while the CLI only shows and parses it; nothing here loads the engine.
 */
import { parseArgs } from 'node:util';
import type { Triple } from './triple.js';

/** Bad usage: reported with the usage text and exit code 2. */
export class UsageError extends Error {
  constructor(message: string) { super(message); this.name = 'UsageError'; }
}

interface OptionCommon {
  /** One line for the usage text. */
  help: string;
  /** What the value is called in the usage text (`--jobs N`). */
  placeholder?: string;
  /** The default as the usage text states it, when it is not a constant (`CPU count`, `the plan's`). */
  defaultText?: string;
  short?: string;
}
interface Range { min?: number; max?: number; exclusiveMin?: boolean }

export type OptionSpec =
  | (OptionCommon & { type: 'boolean' })
  | (OptionCommon & { type: 'string'; default?: string; pattern?: RegExp; patternText?: string })
  /** A string option given any number of times (`-i a -i b`). */
  | (OptionCommon & { type: 'strings' })
  | (OptionCommon & Range & { type: 'integer'; default?: number })
  | (OptionCommon & Range & { type: 'number'; default?: number })
  /** A fixed count of comma-separated numbers. */
  | (OptionCommon & Range & { type: 'numbers'; count: number })
  /** One of `values`. */
  | (OptionCommon & { type: 'choice'; values: readonly string[]; default?: string })
  /** Some of `values`, comma-separated (`loss,rl`). */
  | (OptionCommon & { type: 'choices'; values: readonly string[]; default?: readonly string[] })
  /**
   * One number per image axis in the order x, y, z (the NIfTI file's voxel axes, as `pspseg plan` and
   * `check` print triples), or one number for all three. Integers when `integer`.
   */
  | (OptionCommon & Range & { type: 'xyz'; integer?: boolean; default?: Triple });
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

type ValueOf<O> = O extends { type: 'boolean' } ? boolean
  : O extends { type: 'strings' } ? string[]
  : O extends { type: 'choices'; values: readonly (infer V)[] } ? V[] | (O extends { default: readonly string[] } ? never : undefined)
  : O extends { type: 'choice'; values: readonly (infer V)[] } ? V | (O extends { default: string } ? never : undefined)
  : O extends { type: 'numbers' } ? number[] | undefined
  : O extends { type: 'xyz' } ? Triple | (O extends { default: Triple } ? never : undefined)
  : O extends { type: 'integer' | 'number' } ? number | (O extends { default: number } ? never : undefined)
  : O extends { default: string } ? string : string | undefined;

/** The parsed options of a table, typed from it (an option with a default is always set). */
export type OptionValues<S extends OptionSpecs> = { -readonly [K in keyof S]: ValueOf<S[K]> };

const HELP_OPTION: OptionSpec = { type: 'boolean', short: 'h', help: 'this text' };

function placeholderOf(o: OptionSpec): string {
  if (o.type === 'boolean') return '';
  if (o.placeholder) return o.placeholder;
  switch (o.type) {
    case 'choice': return o.values.join('|');
    case 'choices': return `${o.values.join(',')}`;
    case 'numbers': return Array(o.count).fill('X').join(',');
    case 'xyz': return 'X,Y,Z';
    case 'string': case 'strings': return 'VALUE';
    default: return 'N';
  }
}

/** A value as the usage text and messages show it. */
export function formatOptionValue(v: unknown): string {
  if (Array.isArray(v)) return v.join(',');
  return String(v);
}

/** The default as the usage text states it, or undefined. */
export function defaultTextOf(o: OptionSpec): string | undefined {
  if (o.defaultText !== undefined) return o.defaultText;
  return 'default' in o && o.default !== undefined ? formatOptionValue(o.default) : undefined;
}

/** The options part of a usage text: one row per option, with its default. */
export function formatOptionRows(specs: OptionSpecs): string[] {
  const rows: [string, string][] = Object.entries({ ...specs, help: HELP_OPTION }).map(([name, o]) => {
    const short = o.short ? `-${o.short}, ` : '';
    const flag = `${short}--${name}${o.type === 'boolean' ? '' : ` ${placeholderOf(o)}`}${o.type === 'strings' ? ' (repeatable)' : ''}`;
    const dflt = o.type === 'boolean' || o.type === 'strings' ? undefined : defaultTextOf(o);
    return [flag, dflt === undefined ? o.help : `${o.help} (default: ${dflt})`];
  });
  const width = Math.max(...rows.map(([f]) => f.length)) + 3;
  return rows.map(([f, h]) => `  ${f.padEnd(width)}${h}`);
}

function rangeText(o: Range): string {
  if (o.min !== undefined && o.max !== undefined) return o.exclusiveMin ? ` in (${o.min}, ${o.max}]` : ` between ${o.min} and ${o.max}`;
  if (o.min !== undefined) return ` ${o.exclusiveMin ? '>' : '>='} ${o.min}`;
  if (o.max !== undefined) return ` <= ${o.max}`;
  return '';
}

function inRange(v: number, o: Range): boolean {
  if (o.min !== undefined && (o.exclusiveMin ? !(v > o.min) : !(v >= o.min))) return false;
  return o.max === undefined || v <= o.max;
}

/** A decimal number as typed (Number() alone would take '', ' ' and '0x10'). */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const INTEGER = /^[+-]?\d+$/;

/** Checks and converts one option's text; UsageError naming the option. */
export function convertOption(name: string, o: OptionSpec, raw: string | boolean | string[] | undefined): unknown {
  if (o.type === 'boolean') return raw === true;
  if (o.type === 'strings') return (raw as string[] | undefined) ?? [];
  if (raw === undefined) return 'default' in o ? o.default : undefined;
  const text = String(raw);
  const bad = (what: string) => new UsageError(`--${name} must be ${what}, got '${text}'`);
  const number = (p: string, integer: boolean): number => {
    const v = Number(p);
    return (integer ? INTEGER : NUMBER).test(p) && (integer ? Number.isSafeInteger(v) : Number.isFinite(v)) && inRange(v, o as Range) ? v : NaN;
  };
  switch (o.type) {
    case 'string':
      if (o.pattern && !o.pattern.test(text)) throw bad(o.patternText ?? `of the form ${o.pattern.source}`);
      return text;
    case 'integer': case 'number': {
      const v = number(text, o.type === 'integer');
      if (Number.isNaN(v)) throw bad(`${o.type === 'integer' ? 'an integer' : 'a number'}${rangeText(o)}`);
      return v;
    }
    case 'numbers': {
      const vs = text.split(',').map((p) => number(p.trim(), false));
      if (vs.length !== o.count || vs.some(Number.isNaN)) throw bad(`${o.count} comma-separated numbers${rangeText(o)}`);
      return vs;
    }
    case 'xyz': {
      const vs = text.split(',').map((p) => number(p.trim(), o.integer ?? false));
      if ((vs.length !== 1 && vs.length !== 3) || vs.some(Number.isNaN))
        throw bad(`X,Y,Z (per image axis x, y, z) or one ${o.integer ? 'integer' : 'number'} for all three, each${rangeText(o)}`);
      return vs.length === 1 ? [vs[0]!, vs[0]!, vs[0]!] : vs;
    }
    case 'choice':
      if (!o.values.includes(text)) throw bad(`one of ${o.values.join(', ')}`);
      return text;
    case 'choices': {
      const vs = text.split(',').map((p) => p.trim());
      if (!vs.length || vs.some((v) => !o.values.includes(v))) throw bad(`a comma-separated list of ${o.values.join(', ')}`);
      return vs;
    }
  }
}

export interface ParsedOptions<S extends OptionSpecs> {
  /** Every option, defaults filled in. */
  options: OptionValues<S>;
  /** Only the options given on the command line (what a continued run compares with its settings). */
  given: Partial<OptionValues<S>>;
  /** The positional arguments. */
  args: string[];
}

/** Parses argv against a table (strict: unknown options are errors); `null` when --help was asked for. */
export function parseOptions<S extends OptionSpecs>(specs: S, argv: string[]): ParsedOptions<S> | null {
  const table = Object.fromEntries(Object.entries({ ...specs, help: HELP_OPTION }).map(([name, o]) =>
    [name, {
      type: o.type === 'boolean' ? 'boolean' as const : 'string' as const,
      ...(o.short ? { short: o.short } : {}),
      ...(o.type === 'strings' ? { multiple: true } : {}),
    }]));
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: table, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (parsed.values.help) return null;
  const options: Record<string, unknown> = {}, given: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(specs)) {
    const raw = parsed.values[name] as string | boolean | string[] | undefined;
    options[name] = convertOption(name, o, raw);
    if (raw !== undefined) given[name] = options[name];
  }
  return { options: options as OptionValues<S>, given: given as Partial<OptionValues<S>>, args: parsed.positionals };
}
