/**
 * One CLI command: a static description (name, summary, arguments, typed options with defaults and
 * ranges) and a run function. The description alone gives `--help` and argument checking, so a
 * command's definition imports nothing heavy; its run function imports the engine when called.
 * Exit codes: 0 success, 1 failure (`pspseg <command>: message`), 2 bad usage (message and usage).
 */
import { parseArgs } from 'node:util';
import { abandonProgress } from '../util/progress.js';

interface OptionCommon {
  /** One line for the usage text. */
  help: string;
  /** What the value is called in the usage text (`--jobs N`). */
  placeholder?: string;
  /** The default as the usage text states it, when it is not a constant (`CPU count`). */
  defaultText?: string;
}
export type OptionSpec =
  | { type: 'boolean'; help: string; short?: string }
  | (OptionCommon & { type: 'string'; default?: string; short?: string })
  /** A string option given any number of times (`-i a -i b`). */
  | (OptionCommon & { type: 'strings'; short?: string; default?: undefined })
  | (OptionCommon & { type: 'integer'; default?: number; min?: number; max?: number })
  | (OptionCommon & { type: 'number'; default?: number; min?: number; max?: number; exclusiveMin?: boolean })
  /** A fixed count of comma-separated numbers (`--target-spacing 1,1,2`). */
  | (OptionCommon & { type: 'numbers'; count: number; min?: number; exclusiveMin?: boolean; default?: undefined });
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

type ValueOf<O> = O extends { type: 'boolean' } ? boolean
  : O extends { type: 'strings' } ? string[]
  : O extends { type: 'numbers' } ? number[] | undefined
  : O extends { type: 'integer' | 'number' } ? (O extends { default: number } ? number : number | undefined)
  : O extends { default: string } ? string : string | undefined;
/** The parsed options of a command, typed from its specs (an option with a default is always set). */
export type OptionValues<S extends OptionSpecs> = { -readonly [K in keyof S]: ValueOf<S[K]> };

export interface CommandSpec<S extends OptionSpecs> {
  name: string;
  /** One line for `pspseg --help`. */
  summary: string;
  /** Positional arguments, in order; optional ones last. */
  args?: readonly { name: string; optional?: boolean }[];
  /** The paragraph between the usage line and the options. */
  description?: string;
  options: S;
  /** Does the work (importing what it needs); returns the exit code. */
  run(options: OptionValues<S>, args: string[]): Promise<number>;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  /** Parses argv, runs, and returns the exit code; never throws. */
  run(argv: string[]): Promise<number>;
}

/** Bad usage: reported with the usage text and exit code 2 (a run function may throw it too). */
export class UsageError extends Error {}

const HELP_OPTION: OptionSpec = { type: 'boolean', short: 'h', help: 'this text' };

function placeholderOf(o: OptionSpec): string {
  if (o.type === 'boolean') return '';
  return o.placeholder ?? (o.type === 'string' || o.type === 'strings' ? 'VALUE' : o.type === 'numbers' ? Array(o.count).fill('X').join(',') : 'N');
}

function usageOf(spec: CommandSpec<OptionSpecs>): string {
  const args = (spec.args ?? []).map((a) => (a.optional ? `[${a.name}]` : a.name));
  const rows: [string, string][] = Object.entries({ ...spec.options, help: HELP_OPTION }).map(([name, o]) => {
    const short = 'short' in o && o.short ? `-${o.short}, ` : '';
    const flag = `${short}--${name}${o.type === 'boolean' ? '' : ` ${placeholderOf(o)}`}${o.type === 'strings' ? ' (repeatable)' : ''}`;
    const dflt = o.type === 'boolean' || o.type === 'strings' ? undefined : o.defaultText ?? (o.default === undefined ? undefined : String(o.default));
    return [flag, dflt === undefined ? o.help : `${o.help} (default: ${dflt})`];
  });
  const width = Math.max(...rows.map(([f]) => f.length)) + 3;
  return [
    `usage: pspseg ${[spec.name, ...args, '[options]'].join(' ')}`,
    ...(spec.description ? ['', spec.description] : []),
    '', 'options:',
    ...rows.map(([f, h]) => `  ${f.padEnd(width)}${h}`),
  ].join('\n');
}

function rangeText(o: { min?: number; max?: number; exclusiveMin?: boolean }): string {
  if (o.min !== undefined && o.max !== undefined) return o.exclusiveMin ? ` in (${o.min}, ${o.max}]` : ` between ${o.min} and ${o.max}`;
  if (o.min !== undefined) return ` ${o.exclusiveMin ? '>' : '>='} ${o.min}`;
  if (o.max !== undefined) return ` <= ${o.max}`;
  return '';
}

function inRange(v: number, o: { min?: number; max?: number; exclusiveMin?: boolean }): boolean {
  if (o.min !== undefined && (o.exclusiveMin ? !(v > o.min) : !(v >= o.min))) return false;
  return o.max === undefined || v <= o.max;
}

/** A decimal number as typed (Number() alone would take '', ' ' and '0x10'). */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function convert(name: string, o: OptionSpec, raw: string | boolean | string[] | undefined): unknown {
  if (o.type === 'boolean') return raw === true;
  if (o.type === 'strings') return (raw as string[] | undefined) ?? [];
  if (raw === undefined) return o.default;
  const text = String(raw);
  const bad = (what: string) => new UsageError(`--${name} must be ${what}, got '${text}'`);
  switch (o.type) {
    case 'string': return text;
    case 'integer': {
      const v = Number(text);
      if (!/^[+-]?\d+$/.test(text) || !Number.isSafeInteger(v) || !inRange(v, o)) throw bad(`an integer${rangeText(o)}`);
      return v;
    }
    case 'number': {
      const v = Number(text);
      if (!NUMBER.test(text) || !Number.isFinite(v) || !inRange(v, o)) throw bad(`a number${rangeText(o)}`);
      return v;
    }
    case 'numbers': {
      const parts = text.split(',');
      const vs = parts.map(Number);
      if (parts.length !== o.count || !parts.every((p) => NUMBER.test(p.trim())) || !vs.every((v) => Number.isFinite(v) && inRange(v, o)))
        throw bad(`${o.count} comma-separated numbers${rangeText(o)}`);
      return vs;
    }
  }
}

/** What a command's argv parses to. */
export type ParsedArgs<S extends OptionSpecs> = { help: true } | { help: false; options: OptionValues<S>; args: string[] };

export function defineCommand<const S extends OptionSpecs>(spec: CommandSpec<S>): Command & {
  /** Parses argv without running (tests use it); throws UsageError on bad usage. */
  parse(argv: string[]): ParsedArgs<S>;
} {
  const usage = usageOf(spec);
  const argSpecs = spec.args ?? [];
  const parseOptions = Object.fromEntries(Object.entries({ ...spec.options, help: HELP_OPTION }).map(([name, o]) =>
    [name, {
      type: o.type === 'boolean' ? 'boolean' as const : 'string' as const,
      ...('short' in o && o.short ? { short: o.short } : {}),
      ...(o.type === 'strings' ? { multiple: true } : {}),
    }]));

  function parse(argv: string[]): ParsedArgs<S> {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, options: parseOptions, allowPositionals: true, strict: true });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (parsed.values.help) return { help: true };
    const args = parsed.positionals;
    const required = argSpecs.filter((a) => !a.optional);
    if (args.length < required.length) throw new UsageError(`expected ${required.slice(args.length).map((a) => a.name).join(' ')}`);
    if (args.length > argSpecs.length) throw new UsageError(`unexpected argument '${args[argSpecs.length]}'`);
    const options = Object.fromEntries(Object.entries(spec.options).map(([name, o]) =>
      [name, convert(name, o, parsed.values[name] as string | boolean | string[] | undefined)])) as OptionValues<S>;
    return { help: false, options, args };
  }

  return {
    name: spec.name,
    summary: spec.summary,
    usage,
    parse,
    async run(argv: string[]): Promise<number> {
      let input;
      try {
        input = parse(argv);
      } catch (err) {
        console.error(`pspseg ${spec.name}: ${(err as Error).message}\n\n${usage}`);
        return 2;
      }
      if (input.help) { console.log(usage); return 0; }
      try {
        return await spec.run(input.options, input.args);
      } catch (err) {
        abandonProgress(); // a bar left half-drawn by the failed step goes before the message
        if (err instanceof UsageError) { console.error(`pspseg ${spec.name}: ${err.message}\n\n${usage}`); return 2; }
        console.error(`pspseg ${spec.name}: ${err instanceof Error ? err.message : String(err)}`);
        if (process.env.PSPSEG_DEBUG && err instanceof Error) console.error(err.stack);
        return 1;
      } finally {
        abandonProgress(); // and one a command left unfinished stops routing console output
      }
    },
  };
}
