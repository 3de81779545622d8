import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve, dirname } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

// The module graph as the code has it, checked against the rules in ARCHITECTURE.md and
// against the graph drawn there, so the document stays true.

const root = fileURLToPath(new URL('.', import.meta.url))
const infrastructure = new Set(['shared', 'db'])
const doors = new Set(['http', 'cli'])
const rootFiles = new Set(['app', 'config', 'main'])
/** Lower layers never import higher ones. Domain modules share a layer (their graph must be acyclic). */
const layer = (module: string): number =>
  ({ shared: 0, db: 1, config: 2, audit: 3, jobs: 4, http: 6, cli: 6, app: 7, main: 8 })[module] ?? 5

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    const testOnly = /\.(test|fixture)\.ts$/.test(entry.name) || entry.name === 'testing.ts'
    return entry.name.endsWith('.ts') && !testOnly ? [path] : []
  })
}

function moduleOf(file: string): string {
  const [first] = relative(root, file).split('/')
  return first!.endsWith('.ts') ? first!.slice(0, -3) : first!
}

interface Edge {
  from: string
  to: string
  file: string
  target: string
}

/**
 * Every import between files. A type-only import counts too (a module that uses another's types
 * depends on it), except one of a door's or the root's types: module CLI files take the CLI door's
 * type, and the door builds on the composition root's types; neither exists at run time.
 */
function imports(file: string): Edge[] {
  const text = readFileSync(file, 'utf8')
  const found = [
    ...[...text.matchAll(/^(?:import|export)\s+(type\s)?[^'"]*?from\s+'(\.[^']+)'/gm)].map((m) => ({ typeOnly: m[1] !== undefined, specifier: m[2]! })),
    ...[...text.matchAll(/(?<!typeof )\bimport\('(\.[^']+)'\)/g)].map((m) => ({ typeOnly: false, specifier: m[1]! })),
  ]
  return found.flatMap(({ typeOnly, specifier }) => {
    const target = resolve(dirname(file), specifier.replace(/\.js$/, '.ts'))
    const to = moduleOf(target)
    if (typeOnly && (doors.has(to) || rootFiles.has(to))) return []
    return [{ from: moduleOf(file), to, file: relative(root, file), target: relative(root, target) }]
  })
}

const edges = sourceFiles(root).flatMap(imports).filter((e) => e.from !== e.to)

function graphText(): string {
  const pairs = [...new Set(edges.map((e) => `${e.from} --> ${e.to}`))].sort()
  return ['```mermaid', 'graph TD', ...pairs.map((p) => `  ${p}`), '```'].join('\n')
}

describe('architecture', () => {
  it('imports another domain module only through its index.ts (doors may also use its routes.ts and cli.ts)', () => {
    const deep = edges.filter((e) => {
      if (infrastructure.has(e.to) || rootFiles.has(e.to) || doors.has(e.to)) return false
      const file = e.target.split('/').slice(1).join('/')
      if (file === 'index.ts') return false
      return !(e.from === 'http' && file === 'routes.ts') && !(e.from === 'cli' && file === 'cli.ts')
    })
    assert.deepEqual(deep.map((e) => `${e.file} -> ${e.target}`), [])
  })

  it('never imports upwards: shared ← db ← audit ← jobs ← modules ← http, cli ← app ← main', () => {
    const upward = edges.filter((e) => layer(e.to) > layer(e.from))
    assert.deepEqual(upward.map((e) => `${e.file} -> ${e.target}`), [])
  })

  it('has no cycles between modules', () => {
    const next = new Map<string, Set<string>>()
    for (const e of edges) next.set(e.from, (next.get(e.from) ?? new Set()).add(e.to))
    const cycles: string[] = []
    const visit = (node: string, path: string[]) => {
      if (path.includes(node)) return cycles.push([...path.slice(path.indexOf(node)), node].join(' -> '))
      for (const to of next.get(node) ?? []) visit(to, [...path, node])
      return undefined
    }
    for (const node of next.keys()) visit(node, [])
    assert.deepEqual(cycles, [])
  })

  it('is drawn as it is in ARCHITECTURE.md', () => {
    const document = readFileSync(join(root, '..', 'ARCHITECTURE.md'), 'utf8')
    const drawn = /<!-- module-graph:start -->\n([\s\S]*?)\n<!-- module-graph:end -->/.exec(document)?.[1]

    assert.equal(drawn, graphText(), `update the graph in ARCHITECTURE.md to:\n${graphText()}`)
  })
})
