/**
 * zod's messages in English for the schemas built with `zod/mini`, which carries none of its own (zod's full build
 * sets the same ones when it loads). The commands that deploy use `zod/mini`: the full build costs every start about
 * 140 KB more code to load (docs/BENCHMARKS.md, "CLI start").
 */
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

z.config(en());
