// Speed of the osquery results-log parser alone, on ~200 MB of snapshot lines like a Windows fleet's
// `programs` pack (150 rows, ~30 KB a line), held in memory as 64 KiB chunks so only parsing is timed.
// Run: node --import tsx src/inventory/parsers/speed.fixture.ts [megabytes]
import { parseOsquery } from './osquery.js'

const targetBytes = Number(process.argv[2] ?? 200) * 1024 * 1024
const rowsPerHost = 150

const publishers = ['Microsoft Corporation', 'Google LLC', 'Mozilla', '3CX Ltd', 'Adobe Inc.', 'Zoom Video Communications, Inc.', 'Oracle Corporation', 'Igor Pavlov']
const products = ['Microsoft Edge', 'Google Chrome', 'Mozilla Firefox (x64 en-US)', '3CX Desktop App', 'Adobe Acrobat Reader DC', 'Zoom', 'Java 8 Update 381', '7-Zip 23.01 (x64)']

function programRow(host: number, row: number): Record<string, string> {
  const kind = (host + row) % products.length
  const msi = row % 3 === 0
  const guid = `{${(host * 7919 + row).toString(16).padStart(8, '0').toUpperCase()}-1D3C-4E5F-8A9B-0C1D2E3F4A5B}`
  return {
    identifying_number: msi ? guid : '',
    install_date: `2023${String((row % 12) + 1).padStart(2, '0')}15`,
    install_location: msi ? '' : `C:\\Program Files\\App${row}\\`,
    install_source: '',
    language: msi ? '1033' : '',
    name: `${products[kind]} ${row}`,
    publisher: publishers[kind]!,
    uninstall_string: msi ? `MsiExec.exe /X${guid}` : `C:\\Program Files\\App${row}\\uninst.exe`,
    version: `${(row % 30) + 1}.${host % 100}.${row * 7}.0`,
  }
}

function snapshotLine(host: number): string {
  const snapshot = Array.from({ length: rowsPerHost }, (_, row) => programRow(host, row))
  return `${JSON.stringify({
    snapshot,
    action: 'snapshot',
    name: 'pack_inventory_programs',
    hostIdentifier: `5C1A7D2E-${String(host).padStart(4, '0')}-4B6F-9E2A-3D8C7B1F0A9E`,
    calendarTime: 'Mon Apr  3 10:00:00 2023 UTC',
    unixTime: 1680516000,
    epoch: 0,
    counter: 0,
    numerics: false,
    decorations: { host_uuid: `5C1A7D2E-${String(host).padStart(4, '0')}-4B6F-9E2A-3D8C7B1F0A9E`, hostname: `DESKTOP-${host}`, customer: `customer-${host % 40}` },
  })}\n`
}

const lines: Buffer[] = []
let size = 0
for (let host = 0; size < targetBytes; host++) {
  const line = Buffer.from(snapshotLine(host))
  lines.push(line)
  size += line.length
}
const whole = Buffer.concat(lines)
const chunks: Buffer[] = []
for (let start = 0; start < whole.length; start += 64 * 1024) chunks.push(whole.subarray(start, start + 64 * 1024))

async function* input(): AsyncGenerator<Buffer> {
  yield* chunks
}

for (let run = 1; run <= 3; run++) {
  const started = process.hrtime.bigint()
  let rows = 0
  for await (const batch of parseOsquery(input(), { file: 'speed.log' })) {
    for (const observation of batch) if ('items' in observation) rows += observation.items.length
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const megabytes = whole.length / 1024 / 1024
  console.log(
    `run ${run}: ${megabytes.toFixed(0)} MiB, ${lines.length} lines, ${rows} rows in ${seconds.toFixed(2)} s: ` +
      `${(megabytes / seconds).toFixed(0)} MiB/s, ${Math.round(rows / seconds).toLocaleString('en')} rows/s`,
  )
}
