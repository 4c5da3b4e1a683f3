/**
 * docs/cli.md, the command reference, made from the commands' own definitions (their option tables),
 * so it cannot drift from `--help`: a test compares the file with what this makes, and
 * `npm run docs:cli` writes it.
 */
import { writeFileSync } from 'node:fs';
import { defaultTextOf, type OptionSpec } from '../util/options.js';
import { commands } from './commands/index.js';

const cell = (s: string): string => s.replace(/\|/g, '\\|');

function valueText(name: string, o: OptionSpec): string {
  const short = o.short ? `-${o.short}, ` : '';
  if (o.type === 'boolean') return `\`${short}--${name}\``;
  const placeholder = o.placeholder ?? (o.type === 'choice' ? o.values.join('\\|') : o.type === 'choices' ? o.values.join(',') : o.type === 'xyz' ? 'X,Y,Z' : o.type === 'numbers' ? Array(o.count).fill('X').join(',') : o.type === 'string' || o.type === 'strings' ? 'VALUE' : 'N');
  return `\`${short}--${name} ${cell(placeholder)}\`${o.type === 'strings' ? ' (repeatable)' : ''}`;
}

/** The whole reference as Markdown. */
export function cliReference(): string {
  const out = [
    '# Command reference',
    '',
    '<!-- Made by `npm run docs:cli` from the commands\' option tables (src/cli/commands/*.ts, src/train/options.ts); do not edit by hand. -->',
    '',
    'Every command prints this with `pspseg <command> --help`. Triples (patch, spacing) are per image axis x, y, z, as the NIfTI files',
    'store them and `pspseg plan` prints them. Exit codes: 0 done, 1 failed (a message names the file and the problem),',
    '2 bad usage (the message and the usage; nothing was loaded or written).',
    '',
    '| command | what it does |',
    '|---|---|',
    ...commands.map((c) => `| [\`${c.name}\`](#pspseg-${c.name}) | ${cell(c.summary)} |`),
  ];
  for (const c of commands) {
    const args = (c.spec.args ?? []).map((a) => (a.optional ? `[${a.name}]` : a.name));
    out.push('', `## pspseg ${c.name}`, '', `\`pspseg ${[c.name, ...args, '[options]'].join(' ')}\``, '', c.summary + '.');
    if (c.spec.description) out.push('', c.spec.description.replace(/\n(?!\s)/g, ' '));
    out.push('', '| option | what | default |', '|---|---|---|');
    for (const [name, o] of Object.entries(c.spec.options)) {
      const dflt = o.type === 'boolean' || o.type === 'strings' ? '' : defaultTextOf(o) ?? '';
      out.push(`| ${valueText(name, o)} | ${cell(o.help)} | ${cell(dflt)} |`);
    }
  }
  return `${out.join('\n')}\n`;
}

export function writeCliReference(path: string): void {
  writeFileSync(path, cliReference());
}
