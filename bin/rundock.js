#!/usr/bin/env node
import { main } from '../dist/rundock.mjs';

process.exitCode = await main(process.argv.slice(2));
