import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { normaliseIndicator } from '../intel/indicator-values.js'
import { anIndicator, collectGarbage } from './logs/testing.js'
import { IndicatorMatcher, wantDomains, wantIps, wantUrls, type HuntIndicator } from './match.js'

function ids(found: readonly HuntIndicator[]): string[] {
  return found.map((indicator) => indicator.id).sort()
}

function matcherOf(...indicators: [HuntIndicator['kind'], string][]): IndicatorMatcher {
  return new IndicatorMatcher(indicators.map(([kind, value]) => anIndicator(kind, value, value)))
}

/** The name as a log line holds it: bytes in the middle of a larger buffer. */
function inLine(matcher: IndicatorMatcher, name: string): string[] {
  const line = Buffer.from(`query: ${name} IN A`)
  const start = 'query: '.length
  return ids(matcher.matchDomainBytes(line, start, start + Buffer.byteLength(name)))
}

describe('IndicatorMatcher: domains', () => {
  const matcher = matcherOf(['domain', 'msstorageazure.com'], ['domain', 'cdn.sbmsa.wiki'], ['domain', 'sbmsa.wiki'])

  it('matches the name and every name below it, not names that only end the same', () => {
    assert.deepEqual(ids(matcher.matchDomain('msstorageazure.com')), ['msstorageazure.com'])
    assert.deepEqual(ids(matcher.matchDomain('a.b.msstorageazure.com')), ['msstorageazure.com'])
    assert.deepEqual(ids(matcher.matchDomain('notmsstorageazure.com')), [])
    assert.deepEqual(ids(matcher.matchDomain('msstorageazure.com.example.net')), [])
    assert.deepEqual(ids(matcher.matchDomain('com')), [])
  })

  it('returns every indicator a name falls under, a parent and its subdomain alike', () => {
    assert.deepEqual(ids(matcher.matchDomain('x.cdn.sbmsa.wiki')), ['cdn.sbmsa.wiki', 'sbmsa.wiki'])
    assert.deepEqual(ids(matcher.matchDomain('www.sbmsa.wiki')), ['sbmsa.wiki'])
  })

  it('ignores case and the trailing dot, in text and in log bytes alike', () => {
    for (const name of ['MSStorageAzure.COM', 'msstorageazure.com.', 'Beacon.MsStorageAzure.Com.']) {
      assert.deepEqual(ids(matcher.matchDomain(name)), ['msstorageazure.com'], name)
      assert.deepEqual(inLine(matcher, name), ['msstorageazure.com'], name)
    }
  })

  it('matches punycode and Unicode forms of a name, and names escaped as BIND and Zeek write them', () => {
    const idn = matcherOf(['domain', 'xn--mnchen-3ya.de'], ['domain', 'bücher.example'])

    for (const name of ['münchen.de', 'WWW.MÜNCHEN.DE.', 'www.xn--mnchen-3ya.de', 'XN--MNCHEN-3YA.DE', 'm\\195\\188nchen.de', 'm\\xc3\\xbcnchen.de']) {
      assert.deepEqual(ids(idn.matchDomain(name)), ['xn--mnchen-3ya.de'], name)
      assert.deepEqual(inLine(idn, name), ['xn--mnchen-3ya.de'], name)
    }
    assert.deepEqual(ids(idn.matchDomain('shop.xn--bcher-kva.example')), ['bücher.example'])
    assert.deepEqual(ids(idn.matchDomain('muenchen.de')), [])
  })

  it('does not match a name whose bytes are not UTF-8', () => {
    const idn = matcherOf(['domain', 'xn--mnchen-3ya.de'])

    assert.deepEqual(ids(idn.matchDomainBytes(Buffer.from([0x6d, 0xfc, 0x6e, 0x63, 0x68, 0x65, 0x6e, 0x2e, 0x64, 0x65]), 0, 10)), [])
  })

  it('matches the log spellings of values intel normalised from their published spellings', () => {
    const published = ['MSStorageAzure[.]COM.', 'münchen[.]de', 'hxxps://SBMSA.WIKI:443/blog/_insert', '2001:DB8:0:0:0:0:0:1', '10.1.2.3/8']
    const indicators = published.map((raw, i) => {
      const result = normaliseIndicator(i === 2 ? 'url' : i === 3 ? 'ipv6' : i === 4 ? 'cidr' : 'domain', raw)
      assert.ok(result.ok)
      return anIndicator(result.value.kind, result.value.value, raw)
    })
    const normalised = new IndicatorMatcher(indicators)

    assert.deepEqual(ids(normalised.matchDomain('beacon.msstorageazure.com')), ['MSStorageAzure[.]COM.'])
    assert.deepEqual(ids(normalised.matchDomain('www.münchen.de')), ['münchen[.]de'])
    assert.deepEqual(ids(normalised.matchUrl('https://sbmsa.wiki/blog/_insert/x')), ['hxxps://SBMSA.WIKI:443/blog/_insert'])
    assert.deepEqual(ids(normalised.matchIp('2001:0db8:0000:0000:0000:0000:0000:0001')), ['2001:DB8:0:0:0:0:0:1'])
    assert.deepEqual(ids(normalised.matchIp('10.200.0.1')), ['10.1.2.3/8'])
  })
})

describe('IndicatorMatcher: addresses', () => {
  it('matches IPv4 addresses exactly and networks from /0 to /32 at their edges', () => {
    const matcher = matcherOf(['ipv4', '198.51.100.77'], ['cidr', '10.0.0.0/8'], ['cidr', '203.0.113.64/26'], ['cidr', '192.0.2.1/32'])

    assert.deepEqual(ids(matcher.matchIp('198.51.100.77')), ['198.51.100.77'])
    assert.deepEqual(ids(matcher.matchIp('198.51.100.78')), [])
    assert.deepEqual(ids(matcher.matchIp('10.0.0.0')), ['10.0.0.0/8'])
    assert.deepEqual(ids(matcher.matchIp('10.255.255.255')), ['10.0.0.0/8'])
    assert.deepEqual(ids(matcher.matchIp('11.0.0.0')), [])
    assert.deepEqual(ids(matcher.matchIp('9.255.255.255')), [])
    assert.deepEqual(ids(matcher.matchIp('203.0.113.127')), ['203.0.113.64/26'])
    assert.deepEqual(ids(matcher.matchIp('203.0.113.128')), [])
    assert.deepEqual(ids(matcher.matchIp('192.0.2.1')), ['192.0.2.1/32'])
    assert.deepEqual(ids(matcher.matchIp('192.0.2.2')), [])
  })

  it('matches every IPv4 address with /0, and the highest and lowest addresses', () => {
    const matcher = matcherOf(['cidr', '0.0.0.0/0'], ['ipv4', '255.255.255.255'])

    assert.deepEqual(ids(matcher.matchIp('0.0.0.0')), ['0.0.0.0/0'])
    assert.deepEqual(ids(matcher.matchIp('255.255.255.255')), ['0.0.0.0/0', '255.255.255.255'])
    assert.deepEqual(ids(matcher.matchIp('2001:db8::1')), [])
  })

  it('does not read malformed or zero-padded IPv4 addresses', () => {
    const matcher = matcherOf(['cidr', '0.0.0.0/0'])

    for (const text of ['01.2.3.4', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '1.2.3.4a', '']) assert.deepEqual(ids(matcher.matchIp(text)), [], text)
  })

  it('matches IPv6 addresses in any spelling, networks from /0 to /128 at their edges', () => {
    const matcher = matcherOf(['ipv6', '2001:db8:bad::7'], ['cidr', '2001:db8:1::/48'], ['cidr', '2001:db8::2/128'], ['cidr', '::/0'])

    assert.deepEqual(ids(matcher.matchIp('2001:0DB8:0BAD:0000:0000:0000:0000:0007')), ['2001:db8:bad::7', '::/0'])
    assert.deepEqual(ids(matcher.matchIp('[2001:db8:bad::7]')), ['2001:db8:bad::7', '::/0'])
    assert.deepEqual(ids(matcher.matchIp('2001:db8:1:ffff:ffff:ffff:ffff:ffff')), ['2001:db8:1::/48', '::/0'])
    assert.deepEqual(ids(matcher.matchIp('2001:db8:2::')), ['::/0'])
    assert.deepEqual(ids(matcher.matchIp('2001:db8::2')), ['2001:db8::2/128', '::/0'])
    assert.deepEqual(ids(matcher.matchIp('2001:db8::3')), ['::/0'])
    assert.deepEqual(ids(matcher.matchIp('fe80::1%eth0')), ['::/0'])
    assert.deepEqual(ids(matcher.matchIp('192.0.2.1')), [])
  })

  it('does not read malformed IPv6 addresses', () => {
    const matcher = matcherOf(['cidr', '::/0'])

    for (const text of ['1:2:3:4:5:6:7:8:9', '1::2::3', ':1', '1:', '12345::', '10:15:30', 'aa:bb:cc:dd:ee:ff', '::ffff:1.2.3', 'g::1']) {
      assert.deepEqual(ids(matcher.matchIp(text)), [], text)
    }
  })

  it('takes an IPv4-mapped IPv6 address for its IPv4 address, in logs and in indicators', () => {
    const matcher = matcherOf(['ipv4', '192.0.2.1'], ['ipv6', '::ffff:198.51.100.7'], ['cidr', '::ffff:203.0.113.0/120'])

    assert.deepEqual(ids(matcher.matchIp('::ffff:192.0.2.1')), ['192.0.2.1'])
    assert.deepEqual(ids(matcher.matchIp('::FFFF:C000:0201')), ['192.0.2.1'])
    assert.deepEqual(ids(matcher.matchIp('198.51.100.7')), ['::ffff:198.51.100.7'])
    assert.deepEqual(ids(matcher.matchIp('203.0.113.255')), ['::ffff:203.0.113.0/120'])
    assert.deepEqual(ids(matcher.matchIp('203.0.114.0')), [])
  })
})

describe('IndicatorMatcher: URLs', () => {
  const matcher = matcherOf(['url', 'http://raw.githubusercontent.com/IconStorages/images/main/'], ['url', 'https://sbmsa.wiki/blog/_insert'], ['url', 'http://198.51.100.9:8080/gate.php?id=1'], ['domain', 'glcloudservice.com'], ['ipv4', '198.51.100.77'])

  it('matches a URL whose path starts with the indicator\'s at a segment boundary', () => {
    assert.deepEqual(ids(matcher.matchUrl('https://sbmsa.wiki/blog/_insert')), ['https://sbmsa.wiki/blog/_insert'])
    assert.deepEqual(ids(matcher.matchUrl('https://sbmsa.wiki/blog/_insert/more?x=1#top')), ['https://sbmsa.wiki/blog/_insert'])
    assert.deepEqual(ids(matcher.matchUrl('https://sbmsa.wiki/blog/_insertion')), [])
    assert.deepEqual(ids(matcher.matchUrl('https://sbmsa.wiki/blog')), [])
    assert.deepEqual(ids(matcher.matchUrl('http://raw.githubusercontent.com/IconStorages/images/main/icon13.ico')), ['http://raw.githubusercontent.com/IconStorages/images/main/'])
    assert.deepEqual(ids(matcher.matchUrl('http://raw.githubusercontent.com/IconStorages/images/mainline')), [])
  })

  it('compares scheme, host and port with default ports dropped and case folded, the path with case kept', () => {
    assert.deepEqual(ids(matcher.matchUrl('HTTPS://SBMSA.WIKI:443/blog/_insert')), ['https://sbmsa.wiki/blog/_insert'])
    assert.deepEqual(ids(matcher.matchUrl('http://raw.githubusercontent.com:80/IconStorages/images/main/x')), ['http://raw.githubusercontent.com/IconStorages/images/main/'])
    assert.deepEqual(ids(matcher.matchUrl('http://sbmsa.wiki/blog/_insert')), [])
    assert.deepEqual(ids(matcher.matchUrl('https://sbmsa.wiki:8443/blog/_insert')), [])
    assert.deepEqual(ids(matcher.matchUrl('https://sbmsa.wiki/BLOG/_insert')), [])
  })

  it('requires the same path and query when the indicator has a query', () => {
    assert.deepEqual(ids(matcher.matchUrl('http://198.51.100.9:8080/gate.php?id=1')), ['http://198.51.100.9:8080/gate.php?id=1'])
    assert.deepEqual(ids(matcher.matchUrl('http://198.51.100.9:8080/gate.php?id=2')), [])
    assert.deepEqual(ids(matcher.matchUrl('http://198.51.100.9:8080/gate.php/x?id=1')), [])
  })

  it('matches the host of any URL against domain and address indicators, numeric hosts included', () => {
    assert.deepEqual(ids(matcher.matchUrl('https://user:secret@update.glcloudservice.com:8443/x')), ['glcloudservice.com'])
    assert.deepEqual(ids(matcher.matchUrl('update.GLCLOUDSERVICE.com/path')), ['glcloudservice.com'])
    assert.deepEqual(ids(matcher.matchUrl('http://198.51.100.77/gate.php')), ['198.51.100.77'])
    assert.deepEqual(ids(matcher.matchUrl('http://3325256781/')), ['198.51.100.77'])
    assert.deepEqual(ids(matcher.matchUrl('http://[::ffff:198.51.100.77]/')), ['198.51.100.77'])
    assert.deepEqual(ids(matcher.matchUrl('https://update.glcloudservice.com.example.net/')), [])
  })
})

describe('IndicatorMatcher', () => {
  it('leaves out hashes and values that are not of their kind, saying why', () => {
    const matcher = new IndicatorMatcher([anIndicator('sha256', 'aa'.repeat(32)), anIndicator('ipv4', 'example.com'), anIndicator('cidr', '10.0.0.0/40'), anIndicator('domain', 'ok.example')])

    assert.deepEqual(matcher.ignored.map(({ indicator, reason }) => [indicator.kind, reason.replace(/".*"/, 'value')]), [
      ['sha256', 'file hashes do not appear in network logs'],
      ['ipv4', 'value is not an IPv4 address or network'],
      ['cidr', 'value is not a network'],
    ])
    assert.equal(matcher.wants, wantDomains)
  })

  it('tells readers which kinds of value it has indicators for', () => {
    assert.equal(matcherOf(['url', 'http://x.example/a']).wants, wantUrls)
    assert.equal(matcherOf(['cidr', '10.0.0.0/8'], ['domain', 'x.example']).wants, wantIps | wantDomains)
    assert.equal(new IndicatorMatcher([]).wants, 0)
  })

  it('allocates nothing for a miss', () => {
    const matcher = new IndicatorMatcher(Array.from({ length: 10_000 }, (_, i) => anIndicator('domain', `evil${i}.example${i % 97}.net`)))
    const line = Buffer.from('1710756930.123456\tCk3bD21\t192.0.2.1\t53211\t192.0.2.53\t53\tudp\t1\t0.01\tstatic.cdn.example.org\t1')
    const start = line.indexOf('static')
    const lookup = () => {
      let found = 0
      for (let i = 0; i < 1_000_000; i++) found += matcher.matchDomainBytes(line, start, line.length - 2).length
      return found
    }
    lookup()
    collectGarbage()
    const before = process.memoryUsage().heapUsed

    const found = lookup()

    const grown = process.memoryUsage().heapUsed - before
    assert.equal(found, 0)
    assert.ok(grown < 2 * 1024 * 1024, `a million misses grew the heap by ${grown} bytes`)
  })
})
