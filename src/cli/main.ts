#!/usr/bin/env node
/**
 * pspseg command line. Each subcommand lives in `commands/<name>.ts` and exports
 * `summary` (one line for the help text) and `run(args): Promise<number>` (the exit code).
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Command { summary: string; run(args: string[]): Promise<number> }

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), 'commands');

function commandNames(): string[] {
  return readdirSync(commandsDir).filter((f) => f.endsWith('.js')).map((f) => f.slice(0, -3)).sort();
}

async function load(name: string): Promise<Command> {
  return (await import(join(commandsDir, `${name}.js`))) as Command;
}

async function help(): Promise<void> {
  const lines = ['usage: pspseg <command> [options]', '', 'commands:'];
  for (const name of commandNames()) lines.push(`  ${name.padEnd(12)} ${(await load(name)).summary}`);
  lines.push('', 'pspseg <command> --help shows the options of one command.');
  console.log(lines.join('\n'));
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') { await help(); return 0; }
  if (!commandNames().includes(name)) {
    console.error(`pspseg: unknown command '${name}'. Run 'pspseg --help' for the list.`);
    return 2;
  }
  return (await load(name)).run(rest);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    console.error(`pspseg: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env.PSPSEG_DEBUG && err instanceof Error) console.error(err.stack);
    process.exitCode = 1;
  },
);
