import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'node:test';
import { acmeStoreContract } from './store.contract.js';
import { LocalAcmeStore } from './store-local.js';

describe('LocalAcmeStore (the contract)', () => {
  // One machine has one gateway: "another store" is the same one.
  acmeStoreContract(async () => {
    const store = new LocalAcmeStore(join(mkdtempSync(join(tmpdir(), 'rundock-acme-')), 'acme'));
    return { store, other: store };
  });
});
