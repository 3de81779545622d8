/** Plain, aligned columns for humans; `--json` output never passes through here. */
export function table<T>(rows: readonly T[], columns: Array<[header: string, value: (row: T) => string | number | null | undefined]>): string {
  if (rows.length === 0) return '(none)'
  const cells = rows.map((row) => columns.map(([, value]) => clean(value(row))))
  const widths = columns.map(([header], i) => Math.max(header.length, ...cells.map((r) => r[i]!.length)))
  const line = (values: string[]) => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!))).join('  ').trimEnd()
  return [line(columns.map(([h]) => h.toUpperCase())), ...cells.map(line)].join('\n')
}

/** A page of rows as a table, then the `--cursor` that continues it, if any. */
export function pageTable<T>(page: { items: readonly T[]; nextCursor: string | null }, columns: Array<[header: string, value: (row: T) => string | number | null | undefined]>): string {
  const rows = table(page.items, columns)
  return page.nextCursor ? `${rows}\n\nmore: --cursor ${page.nextCursor}` : rows
}

/** Key: value lines for one object. */
export function fields(entries: Array<[label: string, value: string | number | null | undefined]>): string {
  const width = Math.max(...entries.map(([label]) => label.length))
  return entries.map(([label, value]) => `${`${label}:`.padEnd(width + 1)} ${clean(value)}`).join('\n')
}

function clean(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-'
  // Control characters from stored data must not drive the terminal.
  return String(value).replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')
}

export interface Progress {
  (text: string): void
  /** Clears the terminal line, before the result is printed. */
  end(): void
}

/**
 * Progress of long work on stderr: on a terminal, one line redrawn in place (at most ten times a
 * second); otherwise a plain line every `intervalMs` (the first after one interval), for logs;
 * nothing under --json.
 */
export function progressLine(enabled: boolean, stream: NodeJS.WriteStream = process.stderr, intervalMs = 5_000): Progress {
  const tty = stream.isTTY === true
  // Off a terminal, the first line waits an interval too: quick work prints nothing.
  let last = tty ? 0 : Date.now()
  let drawn = false
  const report = ((text: string) => {
    if (!enabled) return
    const now = Date.now()
    if (now - last < (tty ? 100 : intervalMs)) return
    last = now
    if (tty) {
      stream.write(`\r\u001b[2K${text}`)
      drawn = true
    } else {
      stream.write(`${text}\n`)
    }
  }) as Progress
  report.end = () => {
    if (drawn) stream.write('\r\u001b[2K')
    drawn = false
  }
  return report
}
