import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { inferIndicatorKind, normaliseIndicator, refang } from './indicator-values.js'

function normalised(kind: Parameters<typeof normaliseIndicator>[0], value: string) {
  const result = normaliseIndicator(kind, value)
  assert.ok(result.ok, `${kind} ${value}: ${result.ok ? '' : result.error}`)
  return result.value
}

function rejected(kind: Parameters<typeof normaliseIndicator>[0], value: string): string {
  const result = normaliseIndicator(kind, value)
  assert.ok(!result.ok, `${kind} ${value} should be rejected`)
  return result.error
}

describe('indicator values', () => {
  it('refangs the usual defanged spellings', () => {
    assert.equal(refang(' hxxps[:]//evil[.]example(.)com[/]path '), 'https://evil.example.com/path')
    assert.equal(refang('hXXp://a{.}b[dot]c'), 'http://a.b.c')
    assert.equal(refang('user[@]evil[.]com'), 'user@evil.com')
  })

  it('stores hashes as lower-case hex and checks their length', () => {
    assert.deepEqual(normalised('sha256', 'AA124A4B4DF12B34E74EE7F6C683B2EBEC4CE9A8EDCF9BE345823B4FDCF5D868'), {
      kind: 'sha256',
      value: 'aa124a4b4df12b34e74ee7f6c683b2ebec4ce9a8edcf9be345823b4fdcf5d868',
    })
    assert.deepEqual(normalised('hash', 'BF939C9C261D27EE7BB92325CC588624FCA75429'), { kind: 'sha1', value: 'bf939c9c261d27ee7bb92325cc588624fca75429' })
    assert.match(rejected('sha256', '74bc2d0b6680faa1a5a76b27e5479cbc'), /32 hex digits; a SHA-256 hash has 64/)
    assert.match(rejected('md5', 'not-a-hash'), /not a hexadecimal MD5/)
  })

  it('stores domains lower-case, in punycode, without the trailing dot', () => {
    assert.deepEqual(normalised('domain', 'MSStorageAzure.COM.'), { kind: 'domain', value: 'msstorageazure.com' })
    assert.deepEqual(normalised('domain', 'münchen.de'), { kind: 'domain', value: 'xn--mnchen-3ya.de' })
    assert.deepEqual(normalised('domain', 'akamaicontainer[.]com'), { kind: 'domain', value: 'akamaicontainer.com' })
    assert.match(rejected('domain', '*.evil.com'), /wildcard/)
    assert.match(rejected('domain', '172.93.201.88'), /IP address, not a domain/)
    assert.match(rejected('domain', 'localhost'), /not a valid domain/)
  })

  it('stores URLs with scheme and host lower-case, the default port and the fragment dropped', () => {
    assert.deepEqual(normalised('url', 'HTTPS://SBMSA.WIKI:443/blog/_insert#x'), { kind: 'url', value: 'https://sbmsa.wiki/blog/_insert' })
    assert.deepEqual(normalised('url', 'hxxp://raw.githubusercontent[.]com/IconStorages/images/main/icon13.ico'), {
      kind: 'url',
      value: 'http://raw.githubusercontent.com/IconStorages/images/main/icon13.ico',
    })
    assert.match(rejected('url', 'javascript:alert(1)'), /not a valid URL|scheme/)
  })

  it('reads a vendor\'s scheme-less "URL" as a domain when it is only a host, and as http when it has a path', () => {
    assert.deepEqual(normalised('url', 'akamaicontainer[.]com'), { kind: 'domain', value: 'akamaicontainer.com' })
    assert.deepEqual(normalised('url', 'raw.githubusercontent.com/IconStorages/images/main/'), { kind: 'url', value: 'http://raw.githubusercontent.com/IconStorages/images/main/' })
  })

  it('writes IPv6 addresses in RFC 5952 form and networks as their network address', () => {
    assert.deepEqual(normalised('ipv6', '2001:DB8:0:0:0:0:0:1'), { kind: 'ipv6', value: '2001:db8::1' })
    assert.deepEqual(normalised('ipv6', '1:0:0:1:0:0:0:1'), { kind: 'ipv6', value: '1:0:0:1::1' })
    assert.deepEqual(normalised('ipv6', '::FFFF:1.2.3.4'), { kind: 'ipv6', value: '::ffff:1.2.3.4' })
    assert.deepEqual(normalised('cidr', '10.1.2.3/8'), { kind: 'cidr', value: '10.0.0.0/8' })
    assert.deepEqual(normalised('cidr', '2001:db8::ff/32'), { kind: 'cidr', value: '2001:db8::/32' })
    assert.deepEqual(normalised('ipv4', '172.93.201[.]88'), { kind: 'ipv4', value: '172.93.201.88' })
    assert.deepEqual(normalised('ipv4', '198.51.100.7/32'), { kind: 'ipv4', value: '198.51.100.7' })
    assert.deepEqual(normalised('ip', '198.51.100.7/24'), { kind: 'cidr', value: '198.51.100.0/24' })
    assert.match(rejected('ipv4', '01.2.3.4'), /not an IPv4 address/)
    assert.match(rejected('ipv4', '2001:db8::1'), /not an IPv4 address/)
    assert.match(rejected('cidr', '10.0.0.0/33'), /not a network/)
  })

  it('infers the kind of a bare value, and does not take a file name for a domain', () => {
    assert.equal(inferIndicatorKind('11be1803e2e307b647a8a7e02d128335c448ff741bf06bf52b332e0bbf423b03'), 'sha256')
    assert.equal(inferIndicatorKind('20d554a80d759c50d6537dd7097fed84dd258b3e'), 'sha1')
    assert.equal(inferIndicatorKind('82187ad3f0c6c225e2fba0c867280cc9'), 'md5')
    assert.equal(inferIndicatorKind('172.93.201.88'), 'ipv4')
    assert.equal(inferIndicatorKind('2001:db8::1'), 'ipv6')
    assert.equal(inferIndicatorKind('198.51.100.0/24'), 'cidr')
    assert.equal(inferIndicatorKind('hxxps://msstorageazure[.]com/window'), 'url')
    assert.equal(inferIndicatorKind('pbxsources[.]com'), 'domain')
    assert.equal(inferIndicatorKind('ffmpeg.dll'), undefined)
    assert.equal(inferIndicatorKind('d3dcompiler_47.dll'), undefined)
    assert.equal(inferIndicatorKind('just words'), undefined)
  })
})
