import type { Command } from 'commander'
import type { Services } from '../app.js'
import type { Actor } from '../shared/actor.js'

/** What a module's CLI command receives: the services on the configured database, and who runs it. */
export interface CommandContext {
  services: Services
  actor: Actor
  json: boolean
  /** Report progress of long work on stderr: redrawn on a terminal, a plain line every few seconds otherwise, nothing under --json. */
  progress(text: string): void
}

/** What a command prints: `data` under --json, `human` (or a JSON dump of data) otherwise. */
export interface CommandOutput {
  data: unknown
  human?: string
}

export type CommandHandler = (context: CommandContext, args: string[], options: Record<string, unknown>) => Promise<CommandOutput>

/**
 * The CLI door that module `cli.ts` files use: `common` adds the options every command has
 * (--json, --data-dir, --database-url), `action` opens the services, runs the handler, prints
 * the result and sets the exit code. Output format and exit codes live in cli/main.ts only.
 */
export interface CliDoor {
  common(command: Command): Command
  action(handler: CommandHandler): (...params: unknown[]) => Promise<void>
  /** Aligned columns with a header row, for human output. */
  table<T>(rows: readonly T[], columns: Array<[header: string, value: (row: T) => string | number | null | undefined]>): string
  /** A page of rows as a table, with the `--cursor` to pass for the next page when there is one. */
  pageTable<T>(page: { items: readonly T[]; nextCursor: string | null }, columns: Array<[header: string, value: (row: T) => string | number | null | undefined]>): string
  /** A `--limit` value as a page size (1 to the largest page), or an `invalid` error naming the flag. */
  pageSize(value: unknown): number
  /** A JSON file named on the command line, parsed; an `invalid` error naming the file when it cannot be read or is not JSON. */
  readJsonFile(file: string): Promise<unknown>
  /** `label: value` lines for one object, for human output. */
  fields(entries: Array<[label: string, value: string | number | null | undefined]>): string
}
