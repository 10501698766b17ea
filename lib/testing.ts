/**
 * The test kit for stores of other databases: `import { describeSessionStoreContract } from
 * 'nestjs-secure-session/testing'` in a Vitest spec (Vitest is then a peer dependency; the main
 * entry never loads this one). See docs/stores.md.
 */
export {
  describeSessionStoreContract,
  type SessionStoreContractSetup,
} from './testing/session-store-contract.js';
