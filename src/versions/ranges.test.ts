// OSV ranges: introduced/fixed pairs, last_affected, "0", limits, unsorted events and ties, and
// explicit affected versions.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { VersionScheme } from './compare.js'
import { inRange, isAffected, type RangeEvent, type VersionRange } from './ranges.js'

function aRange(events: RangeEvent[], scheme: VersionScheme = 'semver'): VersionRange {
  return { scheme, events }
}

function affectedAmong(versions: readonly string[], range: VersionRange): string[] {
  return versions.filter((version) => inRange(version, range))
}

describe('version ranges', () => {
  it('covers from introduced up to but not including fixed', () => {
    const range = aRange([{ introduced: '1.0.0' }, { fixed: '1.0.2' }])

    const affected = affectedAmong(['0.9.9', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.0.2-rc.1', '1.0.2', '1.1.0'], range)

    assert.deepEqual(affected, ['1.0.0', '1.0.1', '1.0.2-rc.1'])
  })

  it('reads introduced "0" as before every version', () => {
    const range = aRange([{ introduced: '0' }, { fixed: '2.0' }], 'debian')

    const affected = affectedAmong(['0~~', '0', '1.9-5', '2.0~rc1', '2.0', '1:0.1'], range)

    assert.deepEqual(affected, ['0~~', '0', '1.9-5', '2.0~rc1'])
  })

  it('covers everything from introduced when nothing fixes it, even versions it cannot read', () => {
    const range = aRange([{ introduced: '0' }], 'dotted')

    const affected = affectedAmong(['0', '18.12.416', 'unknown', ''], range)

    assert.deepEqual(affected, ['0', '18.12.416', 'unknown', ''])
  })

  it('includes last_affected itself', () => {
    const range = aRange([{ introduced: '0' }, { last_affected: '2.1.214' }], 'dotted')

    const affected = affectedAmong(['1.0', '2.1.214', '2.1.214.0', '2.1.215', '2.2'], range)

    assert.deepEqual(affected, ['1.0', '2.1.214', '2.1.214.0'])
  })

  it('covers each introduced/fixed pair of a range with several', () => {
    const range = aRange([{ introduced: '1.0.0' }, { fixed: '1.0.2' }, { introduced: '3.0.0' }, { fixed: '3.2.5' }])

    const affected = affectedAmong(['0.1.0', '1.0.1', '2.0.0', '3.0.0', '3.2.4', '3.2.5', '4.0.0'], range)

    assert.deepEqual(affected, ['1.0.1', '3.0.0', '3.2.4'])
  })

  it('sorts the events by version before walking them', () => {
    const range = aRange([{ fixed: '3.2.5' }, { introduced: '3.0.0' }, { fixed: '1.0.2' }, { introduced: '1.0.0' }])

    const affected = affectedAmong(['0.1.0', '1.0.1', '2.0.0', '3.0.0', '3.2.4', '3.2.5', '4.0.0'], range)

    assert.deepEqual(affected, ['1.0.1', '3.0.0', '3.2.4'])
  })

  it('keeps the listed order of events at equal versions', () => {
    const adjoining = aRange([{ introduced: '0' }, { fixed: '1.0' }, { introduced: '1.0' }, { fixed: '2.0' }], 'dotted')
    const empty = aRange([{ introduced: '1.0' }, { fixed: '1.0.0' }], 'dotted')

    assert.deepEqual(affectedAmong(['0.5', '1.0', '1.5', '2.0'], adjoining), ['0.5', '1.0', '1.5'])
    assert.deepEqual(affectedAmong(['0.5', '1.0', '1.5'], empty), [])
  })

  it('stops at the limits, of which any one will do', () => {
    const limited = aRange([{ introduced: '0' }, { limit: '2.0.0' }])
    const twoLimits = aRange([{ introduced: '1.0.0' }, { limit: '1.5.0' }, { limit: '3.0.0' }])
    const unlimited = aRange([{ introduced: '1.0.0' }, { limit: '*' }])

    assert.deepEqual(affectedAmong(['0.1.0', '1.9.9', '2.0.0', '2.1.0'], limited), ['0.1.0', '1.9.9'])
    assert.deepEqual(affectedAmong(['0.1.0', '1.0.0', '2.9.9', '3.0.0'], twoLimits), ['1.0.0', '2.9.9'])
    assert.deepEqual(affectedAmong(['0.1.0', '1.0.0', '99.0.0'], unlimited), ['1.0.0', '99.0.0'])
  })

  it("compares in the range's scheme", () => {
    const debianRange = aRange([{ introduced: '0' }, { fixed: '1:2.0-1' }], 'debian')
    const rpmRange = aRange([{ introduced: '1.0-1.el9' }, { fixed: '1.0-3.el9' }], 'rpm')

    assert.deepEqual(affectedAmong(['2.0-1', '3.0-1', '1:1.9-1', '1:2.0-1'], debianRange), ['2.0-1', '3.0-1', '1:1.9-1'])
    assert.deepEqual(affectedAmong(['1.0-1.el9', '1.0-2.el9_1', '1.0-3.el9', '1.0^git1-1'], rpmRange), ['1.0-1.el9', '1.0-2.el9_1'])
  })

  it('is not in a range with no introduced event', () => {
    const range = aRange([{ fixed: '2.0.0' }])

    assert.equal(inRange('1.0.0', range), false)
  })
})

describe('affected versions', () => {
  it('matches a listed version by the scheme\'s equality', () => {
    const target = { versions: ['18.12.407', '18.12.416.0'], ranges: [] }

    assert.equal(isAffected('18.12.416', target, 'dotted'), true)
    assert.equal(isAffected('18.12.425', target, 'dotted'), false)
  })

  it('matches a version inside any of the ranges', () => {
    const target = {
      versions: ['0.5.0'],
      ranges: [aRange([{ introduced: '1.0.0' }, { fixed: '1.0.2' }]), aRange([{ introduced: '2.0.0' }, { last_affected: '2.0.3' }])],
    }

    const affected = ['0.5.0', '0.6.0', '1.0.1', '1.0.2', '2.0.3', '2.0.4'].filter((version) => isAffected(version, target, 'semver'))

    assert.deepEqual(affected, ['0.5.0', '1.0.1', '2.0.3'])
  })
})
