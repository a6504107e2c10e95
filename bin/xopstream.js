#!/usr/bin/env node
// Entry point of the `xopstream` command; the CLI itself is src/cli/main.ts.
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
