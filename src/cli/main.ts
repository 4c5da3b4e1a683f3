#!/usr/bin/env node
/**
 * pspseg command line. Each command is defined in `commands/<name>.ts` (summary, usage, options:
 * static, so `--help` loads no engine) and does its work in `commands/<name>_run.ts`, imported
 * only when it runs. The list is `commands/index.ts`.
 */
import { commands } from './commands/index.js';

function help(): void {
  const lines = ['usage: pspseg <command> [options]', '', 'commands:'];
  for (const c of commands) lines.push(`  ${c.name.padEnd(12)} ${c.summary}`);
  lines.push('', 'pspseg <command> --help shows the options of one command.');
  console.log(lines.join('\n'));
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') { help(); return 0; }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    console.error(`pspseg: unknown command '${name}'. Run 'pspseg --help' for the list.`);
    return 2;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    console.error(`pspseg: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env.PSPSEG_DEBUG && err instanceof Error) console.error(err.stack);
    process.exitCode = 1;
  },
);
