import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The contract suite on stores that each break one promise (see store-contract.spec.ts).
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/stores/broken-stores.contract.ts'],
  },
});
