/**
 * `node --test` reporter: Node's default output (spec on a terminal, TAP otherwise), plus the ten
 * slowest tests, listed just before the final summary so that `# tests N`, `# pass N`, `# fail N`
 * stay the last lines (CI reads them). Used by `npm test`.
 */
import { Readable } from 'node:stream';
import { basename } from 'node:path';
import { spec as SpecReporter, tap, type TestEvent } from 'node:test/reporters';

const COUNT = 10;

interface Timing { name: string; file: string; ms: number }

/** The ten longest leaf tests (suites and tests with subtests are left out: they would count their children again). */
export function slowest(timings: readonly Timing[], count = COUNT): string[] {
  return [...timings].sort((a, b) => b.ms - a.ms).slice(0, count)
    .map((t) => `${(t.ms / 1000).toFixed(2).padStart(7)} s  ${t.name} (${t.file})`);
}

/** The events, with the slowest-tests lines inserted before the run's summary. */
export async function* withSlowest(source: AsyncIterable<TestEvent>): AsyncGenerator<TestEvent> {
  const timings: Timing[] = [];
  const summary: TestEvent[] = [];
  let previous: { nesting: number; file?: string } | undefined;
  for await (const event of source) {
    if (event.type === 'test:pass' || event.type === 'test:fail') {
      const d = event.data;
      // Subtests report before their parent: a test right after a deeper one in its file is a parent.
      const parent = previous !== undefined && previous.nesting > d.nesting && previous.file === d.file;
      if (!parent && d.details.type !== 'suite' && !d.skip && !d.todo)
        timings.push({ name: d.name, file: basename(d.file ?? '?'), ms: d.details.duration_ms });
      previous = { nesting: d.nesting, file: d.file };
    }
    // The run's own summary (tests, pass, fail, duration...) comes as top-level diagnostics at the end.
    if (event.type === 'test:diagnostic' && event.data.nesting === 0 && event.data.file === undefined) {
      summary.push(event);
      continue;
    }
    yield event;
  }
  const lines = [`slowest ${Math.min(COUNT, timings.length)} tests:`, ...slowest(timings)];
  for (const message of lines) yield { type: 'test:diagnostic', data: { nesting: 0, message } } as TestEvent;
  yield* summary;
}

export default async function* reporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  if (process.stdout.isTTY) {
    for await (const chunk of Readable.from(withSlowest(source)).pipe(new SpecReporter())) yield String(chunk);
  } else {
    yield* tap(withSlowest(source));
  }
}
