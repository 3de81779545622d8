#!/usr/bin/env node
import { runCli } from './cli/main.js'

// The `cordon` command. Everything heavy is loaded by the command that needs it,
// so `cordon --version` and `cordon --help` answer at once.
process.exitCode = await runCli(process.argv, () => import('./app.js'))
