import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cvss2BaseScore, cvss3BaseScore, severityFromCvss2, severityFromCvss3, severityFromWord } from './cvss.js'

describe('CVSS', () => {
  it('computes CVSS 3.x base scores as FIRST publishes them', () => {
    assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'), 9.8)
    assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H'), 9.6)
    assert.equal(cvss3BaseScore('CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N'), 5.5)
    assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L'), 5.3)
    assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N'), 6.4)
    assert.equal(cvss3BaseScore('CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N'), 0)
  })

  it('computes CVSS 2.0 base scores', () => {
    assert.equal(cvss2BaseScore('AV:N/AC:L/Au:N/C:P/I:P/A:P'), 7.5)
    assert.equal(cvss2BaseScore('(AV:N/AC:M/Au:N/C:N/I:P/A:N)'), 4.3)
    assert.equal(cvss2BaseScore('AV:N/AC:L/Au:N/C:C/I:C/A:C'), 10)
  })

  it('refuses malformed vectors rather than guessing', () => {
    assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H'), undefined)
    assert.equal(cvss3BaseScore('CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'), undefined)
    assert.equal(cvss3BaseScore('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N'), undefined)
    assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'), undefined)
    assert.equal(cvss2BaseScore('AV:N/AC:L/Au:N/C:P/I:P'), undefined)
  })

  it('maps scores and databases\' words to severities', () => {
    assert.deepEqual([9.0, 7.0, 4.0, 3.9, 0].map(severityFromCvss3), ['critical', 'high', 'medium', 'low', 'low'])
    assert.deepEqual([10, 7.0, 4.0, 3.9].map(severityFromCvss2), ['high', 'high', 'medium', 'low'])
    assert.deepEqual(['CRITICAL', 'Important', 'MODERATE', 'low', 'unimportant', 'bogus', 7].map(severityFromWord), ['critical', 'high', 'medium', 'low', 'low', undefined, undefined])
  })
})
