/**
 * Work that must run on one instance at a time (the poller, retention). `run` calls `work` only on
 * the instance that holds the job's lease, and says whether it did; the others skip their turn.
 */
export interface Singletons {
  run(name: string, work: () => Promise<unknown>): Promise<boolean>;
  /** Gives up every lease this instance holds. */
  close(): Promise<void>;
}

/** The embedded stores: their directory lock already makes this process the only one. */
export const localSingletons: Singletons = {
  async run(_name, work) {
    await work();
    return true;
  },
  async close() {},
};
