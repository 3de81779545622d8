/** Plain, aligned columns for humans; `--json` output never passes through here. */
export function table<T>(rows: readonly T[], columns: Array<[header: string, value: (row: T) => string | number | null | undefined]>): string {
  if (rows.length === 0) return '(none)'
  const cells = rows.map((row) => columns.map(([, value]) => clean(value(row))))
  const widths = columns.map(([header], i) => Math.max(header.length, ...cells.map((r) => r[i]!.length)))
  const line = (values: string[]) => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!))).join('  ').trimEnd()
  return [line(columns.map(([h]) => h.toUpperCase())), ...cells.map(line)].join('\n')
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

/** A one-line progress report on stderr, only when a person is watching. */
export function progressLine(enabled: boolean): (text: string) => void {
  if (!enabled || !process.stderr.isTTY) return () => {}
  return (text) => process.stderr.write(`\r\u001b[2K${text}`)
}
