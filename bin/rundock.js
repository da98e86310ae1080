#!/usr/bin/env -S node --
// `node --`: Node reads no option of its own after it, so `--env-file` reaches rundock (some Node 20 releases took it
// from anywhere on the command line).
import { main } from '../dist/rundock.mjs';

process.exitCode = await main(process.argv.slice(2));
