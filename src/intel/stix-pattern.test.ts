import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { indicatorsFromPattern } from './stix-indicators.js'
import { parseStixPattern } from './stix-pattern.js'

const sha256 = '7986bbaee8940da11ce089383521ab420c443ab7b15ed42aed91fd31ce833896'

describe('STIX patterns', () => {
  it('reads hash comparisons in every spelling vendors use', () => {
    for (const path of ["file:hashes.'SHA-256'", 'file:hashes.SHA256', "file:hashes.'sha256'"]) {
      assert.deepEqual(indicatorsFromPattern(`[${path} = '${sha256.toUpperCase()}']`), { indicators: [{ kind: 'sha256', value: sha256 }], problems: [] }, path)
    }
    assert.deepEqual(indicatorsFromPattern("[file:hashes.'SHA-1' = 'bf939c9c261d27ee7bb92325cc588624fca75429' OR file:hashes.MD5 = '74bc2d0b6680faa1a5a76b27e5479cbc']").indicators, [
      { kind: 'sha1', value: 'bf939c9c261d27ee7bb92325cc588624fca75429' },
      { kind: 'md5', value: '74bc2d0b6680faa1a5a76b27e5479cbc' },
    ])
  })

  it('reads domains, URLs, addresses and networks joined by OR, and IN sets', () => {
    const reading = indicatorsFromPattern(
      "[domain-name:value = 'Akamaicontainer.com'] OR [url:value = 'https://sbmsa.wiki/blog/_insert'] OR ([ipv4-addr:value = '10.1.0.0/16'] OR [ipv6-addr:value = '2001:DB8::1']) OR [domain-name:value IN ('a.example', 'b.example')]",
    )
    assert.deepEqual(reading.problems, [])
    assert.deepEqual(reading.indicators, [
      { kind: 'domain', value: 'akamaicontainer.com' },
      { kind: 'url', value: 'https://sbmsa.wiki/blog/_insert' },
      { kind: 'cidr', value: '10.1.0.0/16' },
      { kind: 'ipv6', value: '2001:db8::1' },
      { kind: 'domain', value: 'a.example' },
      { kind: 'domain', value: 'b.example' },
    ])
  })

  it('unescapes quoted strings', () => {
    const parsed = parseStixPattern("[url:value = 'http://x.example/it\\'s\\\\here']")

    assert.ok(parsed.ok && parsed.value.type === 'observation' && parsed.value.comparison.type === 'comparison')
    assert.deepEqual(parsed.value.comparison.value, { type: 'string', value: "http://x.example/it's\\here" })
  })

  it('reports what it cannot match instead of dropping it', () => {
    const cases: Array<[string, RegExp]> = [
      ["[domain-name:value = 'a.example'] AND [ipv4-addr:value = '192.0.2.1']", /joined by AND .* must all be seen together/],
      ["[domain-name:value MATCHES '^evil']", /operator MATCHES is not supported/],
      ["[domain-name:value LIKE '%.evil.example']", /operator LIKE is not supported/],
      ["[domain-name:value != 'a.example']", /operator != is not supported/],
      ["[domain-name:value NOT = 'a.example']", /negated/],
      ["[email-addr:value = 'x@evil.example']", /object type email-addr is not supported/],
      ["[file:hashes.'SHA-512' = 'aa']", /hash algorithm SHA-512 is not supported/],
      ["[file:name = 'ffmpeg.dll']", /only file hashes/],
      ["[ipv4-addr:value = '192.0.2.1'] REPEATS 5 TIMES WITHIN 60 SECONDS", /qualifier REPEATS 5 TIMES WITHIN 60 SECONDS/],
      ["[ipv4-addr:value = '192.0.2.1'] FOLLOWEDBY [domain-name:value = 'a.example']", /FOLLOWEDBY/],
      ["[domain-name:value = 'not a domain']", /not a valid domain/],
      ['[ipv4-addr:value = 5]', /compared with a number/],
    ]
    for (const [pattern, problem] of cases) {
      const reading = indicatorsFromPattern(pattern)
      assert.deepEqual(reading.indicators, [], pattern)
      assert.match(reading.problems.join('\n'), problem, pattern)
    }
  })

  it('keeps the usable half of an OR and reports the other', () => {
    const reading = indicatorsFromPattern("[email-addr:value = 'x@evil.example' OR domain-name:value = 'evil.example']")

    assert.deepEqual(reading.indicators, [{ kind: 'domain', value: 'evil.example' }])
    assert.equal(reading.problems.length, 1)
  })

  it('keeps a file hash ANDed with other properties of the same file, and says what it ignored', () => {
    const reading = indicatorsFromPattern(`[file:hashes.'SHA-256' = '${sha256}' AND file:name = 'ffmpeg.dll']`)

    assert.deepEqual(reading.indicators, [{ kind: 'sha256', value: sha256 }])
    assert.match(reading.problems[0]!, /file:name = 'ffmpeg.dll' ignored/)
  })

  it('names the position of a syntax error', () => {
    const cases: Array<[string, RegExp]> = [
      ["[domain-name:value = 'evil.example'", /expected '\]' .* found the end of the pattern \(at character 36\)/],
      ["[domain-name:value = 'evil.example]", /quoted string is not closed \(at character 22\)/],
      ["[file:hashes.'SHA-256' = 'ab\\x']", /invalid escape \\x/],
      ["domain-name:value = 'a.example'", /expected '\[' or '\(' to start an observation expression, found 'domain-name' \(at character 1\)/],
      ["[domain-name:value = 'a.example'] extra", /unexpected 'extra' after the end of the pattern/],
      ["[domain-name = 'a.example']", /expected ':' after the object type|expected a property name/],
      ["[domain-name:value ~ 'a']", /expected a comparison operator/],
      ['', /expected '\[' or '\('/],
    ]
    for (const [pattern, message] of cases) {
      const parsed = parseStixPattern(pattern)
      assert.ok(!parsed.ok, pattern)
      assert.match(parsed.error.message, message, pattern)
      assert.match(indicatorsFromPattern(pattern).problems[0]!, /^pattern syntax error: /)
    }
  })

  it('refuses absurdly deep nesting without overflowing the stack', () => {
    const deep = `${'('.repeat(5000)}[ipv4-addr:value = '192.0.2.1']${')'.repeat(5000)}`

    const parsed = parseStixPattern(deep)

    assert.ok(!parsed.ok)
    assert.match(parsed.error.message, /nested more than 50 levels/)
  })
})
