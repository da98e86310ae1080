#!/usr/bin/env -S node --
// `node --`: Node reads no option of its own after it, so `--env-file` reaches rundock (some Node 20 releases took it
// from anywhere on the command line). CommonJS (bin/package.json): Node starts it faster than an ES module.
'use strict';

require('../dist/launch.cjs')
  .run(process.argv.slice(2))
  .then((exitCode) => {
    process.exitCode = exitCode;
  });
