import { describe, expect, it } from 'vitest';
import { runCrashScenario } from './crash-scenario.js';

const crashes = 20;
const opportunities = 40;

describe('crash: the server is killed with SIGKILL at random points and restarted', () => {
  it('gives every acknowledged delivery its effect exactly once', async ({ onTestFailed }) => {
    // About 10 s alone; CI runs it beside the other suites on two cores, hence the generous bound.
    // A failed run (a timeout included) prints how far it got, and when.
    const started = Date.now();
    const progress: string[] = [];
    onTestFailed(() => console.error(progress.join('\n')));
    const figures = await runCrashScenario({
      crashes,
      opportunities,
      log: (line) => progress.push(`+${Date.now() - started} ms: ${line}`),
    });
    console.info(`crash: ${JSON.stringify(figures)}`);
    expect(figures.crashes).toBe(crashes);
    expect({ lost: figures.lost, duplicated: figures.duplicated, problems: figures.problems }).toEqual({
      lost: 0,
      duplicated: 0,
      problems: [],
    });
    // Final tags as after one clean run: Sent, and nothing for a candidate archived from the start.
    expect(figures.tagProblems).toEqual([]);
    // Every candidate not archived ends with exactly one invitation at the vendor, recorded here;
    // those a crash cut in half get there once the operator answers the note they were given.
    expect(figures.sent + figures.archived + figures.interruptedThenCancelled).toBe(opportunities);
  }, 180_000);
});
