/**
 * The rundock CLI from the TypeScript sources, for RUNDOCK_TEST_DNS_FROM_SOURCE=1 (dns-process.ts):
 * `node --import tsx test/integration/dns/cli-source.ts dns ...` does what `node bin/rundock.js dns ...` does.
 */
import { main } from '../../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
