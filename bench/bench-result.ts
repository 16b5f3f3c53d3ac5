/** One measured figure; `bench/run.ts` prints them as a markdown table. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  target?: string | undefined;
}
