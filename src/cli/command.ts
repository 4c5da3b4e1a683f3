/**
 * One CLI command: a static description (name, summary, arguments, typed options with defaults and
 * ranges) and a run function. The description alone gives `--help` and argument checking, so a
 * command's definition imports nothing heavy; its run function imports the engine when called.
 * Exit codes: 0 success, 1 failure (`pspseg <command>: message`), 2 bad usage (message and usage).
 */
import { abandonProgress } from '../util/progress.js';
import { type OptionSpecs, type OptionValues, type ParsedOptions, UsageError, formatOptionRows, parseOptions } from '../util/options.js';

export { UsageError, type OptionSpecs, type OptionValues };

export interface CommandSpec<S extends OptionSpecs> {
  name: string;
  /** One line for `pspseg --help`. */
  summary: string;
  /** Positional arguments, in order; optional ones last. */
  args?: readonly { name: string; optional?: boolean }[];
  /** The paragraph between the usage line and the options. */
  description?: string;
  options: S;
  /**
   * Checks the values together (options that exclude or need each other) before anything loads;
   * throws UsageError. `given` holds only what the command line set.
   */
  check?(options: OptionValues<S>, args: string[], given: Partial<OptionValues<S>>): void;
  /** Does the work (importing what it needs); returns the exit code. */
  run(options: OptionValues<S>, args: string[], given: Partial<OptionValues<S>>): Promise<number>;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  /** The definition the usage was made from (docs/cli.md is made from it too). */
  readonly spec: Pick<CommandSpec<OptionSpecs>, 'args' | 'description' | 'options'>;
  /** Parses argv, runs, and returns the exit code; never throws. */
  run(argv: string[]): Promise<number>;
}

function usageOf(spec: CommandSpec<OptionSpecs>): string {
  const args = (spec.args ?? []).map((a) => (a.optional ? `[${a.name}]` : a.name));
  return [
    `usage: pspseg ${[spec.name, ...args, '[options]'].join(' ')}`,
    ...(spec.description ? ['', spec.description] : []),
    '', 'options:',
    ...formatOptionRows(spec.options),
  ].join('\n');
}

/** What a command's argv parses to. */
export type ParsedArgs<S extends OptionSpecs> = { help: true } | ({ help: false } & ParsedOptions<S>);

export function defineCommand<const S extends OptionSpecs>(spec: CommandSpec<S>): Command & {
  /** Parses argv without running (tests use it); throws UsageError on bad usage. */
  parse(argv: string[]): ParsedArgs<S>;
} {
  const usage = usageOf(spec);
  const argSpecs = spec.args ?? [];

  function parse(argv: string[]): ParsedArgs<S> {
    const parsed = parseOptions(spec.options, argv);
    if (!parsed) return { help: true };
    const { args } = parsed;
    const required = argSpecs.filter((a) => !a.optional);
    if (args.length < required.length) throw new UsageError(`expected ${required.slice(args.length).map((a) => a.name).join(' ')}`);
    if (args.length > argSpecs.length) throw new UsageError(`unexpected argument '${args[argSpecs.length]}'`);
    spec.check?.(parsed.options, args, parsed.given);
    return { help: false, ...parsed };
  }

  return {
    name: spec.name,
    summary: spec.summary,
    usage,
    spec,
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
        return await spec.run(input.options, input.args, input.given);
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
