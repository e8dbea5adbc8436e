/**
 * The engine tests' in-memory store must keep the same promises as the SQL one.
 */
import { MemoryJobStore } from '../support/memory-job-store';
import { describeJobStoreContract } from '../support/job-store-contract';

describeJobStoreContract('MemoryJobStore', async () => ({
  store: new MemoryJobStore(),
  close: async () => undefined,
}));
