import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { bundledAdvisories } from './bundled.js'
import { readCordonAdvisory } from './formats/cordon.js'
import { CordonAdvisorySchema } from './model.js'

const docs = (path: string) => readFileSync(fileURLToPath(new URL(`../../docs/${path}`, import.meta.url)), 'utf8')

describe('the Cordon advisory format', () => {
  it('is documented by a JSON Schema file equal to the TypeBox schema', () => {
    const expected = `${JSON.stringify(CordonAdvisorySchema, null, 2)}\n`

    assert.equal(
      docs('schemas/cordon-advisory.schema.json'),
      expected,
      'docs/schemas/cordon-advisory.schema.json is out of date: regenerate it from CordonAdvisorySchema in src/intel/model.ts (JSON.stringify(schema, null, 2) and a newline)',
    )
  })

  it("has an example in docs/advisories.md that is a valid advisory, every part of it usable", () => {
    const example = /## The Cordon advisory format[\s\S]*?```json\n([\s\S]*?)\n```/.exec(docs('advisories.md'))?.[1]
    assert.ok(example, 'no JSON example under "The Cordon advisory format"')

    const reading = readCordonAdvisory(JSON.parse(example))

    assert.ok(reading.ok, reading.ok ? '' : reading.reason)
    assert.deepEqual(reading.unusable, [])
  })

  it('is what the bundled advisories are written in, every part of them usable', () => {
    for (const bundled of bundledAdvisories) {
      const reading = readCordonAdvisory(bundled.content)
      assert.ok(reading.ok, reading.ok ? '' : reading.reason)
      assert.deepEqual(reading.unusable, [], bundled.name)
    }
  })
})
