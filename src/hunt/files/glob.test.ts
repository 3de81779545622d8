import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { globToRegExp, NameFilter } from './glob.js'

function matches(glob: string, values: string[], options = {}): string[] {
  const pattern = globToRegExp(glob, options)
  return values.filter((value) => pattern.test(value))
}

describe('globToRegExp', () => {
  it('matches * within one path segment, dot files included', () => {
    assert.deepEqual(matches('*.dll', ['ffmpeg.dll', '.hidden.dll', 'a/b.dll', 'x.dll.bak', '.dll']), ['ffmpeg.dll', '.hidden.dll', '.dll'])
  })

  it('matches ? as exactly one character other than /', () => {
    assert.deepEqual(matches('d3dcompiler_4?.dll', ['d3dcompiler_47.dll', 'd3dcompiler_4.dll', 'd3dcompiler_477.dll', 'd3dcompiler_4/.dll']), ['d3dcompiler_47.dll'])
  })

  it('matches character classes, ranges, negation and a leading ] as a member', () => {
    assert.deepEqual(matches('file[0-2a].txt', ['file0.txt', 'file2.txt', 'filea.txt', 'file3.txt']), ['file0.txt', 'file2.txt', 'filea.txt'])
    assert.deepEqual(matches('file[!0-2].txt', ['file0.txt', 'file3.txt', 'file/.txt']), ['file3.txt'])
    assert.deepEqual(matches('file[^0-2].txt', ['file1.txt', 'filex.txt']), ['filex.txt'])
    assert.deepEqual(matches('[]x]', [']', 'x', 'y']), [']', 'x'])
  })

  it('reads a [ that never closes as a literal character', () => {
    assert.deepEqual(matches('a[bc', ['a[bc', 'ab', 'a[b']), ['a[bc'])
  })

  it('matches ** as any number of whole segments', () => {
    const paths = ['x.dll', 'a/x.dll', 'a/b/x.dll', 'a/b/y.dll', 'ax.dll/y']

    assert.deepEqual(matches('**/x.dll', paths), ['x.dll', 'a/x.dll', 'a/b/x.dll'])
    assert.deepEqual(matches('a/**/x.dll', paths), ['a/x.dll', 'a/b/x.dll'])
    assert.deepEqual(matches('**', paths), paths)
  })

  it('matches a trailing /** against the directory itself and everything below it, not its namesakes', () => {
    assert.deepEqual(matches('proc/**', ['proc', 'proc/1/maps', 'proc/self', 'process', 'a/proc']), ['proc', 'proc/1/maps', 'proc/self'])
  })

  it('reads ** inside a segment as *', () => {
    assert.deepEqual(matches('a**z', ['az', 'abcz', 'a/z']), ['az', 'abcz'])
  })

  it('takes regular-expression characters and escaped glob characters literally', () => {
    assert.deepEqual(matches('a+b(1)|{2}$^.dll', ['a+b(1)|{2}$^.dll', 'aab(1)|{2}$^xdll']), ['a+b(1)|{2}$^.dll'])
    assert.deepEqual(matches('\\*\\?\\[x]', ['*?[x]', 'a?[x]', '*?x']), ['*?[x]'])
    assert.deepEqual(matches('a-b[-]', ['a-b-', 'a-bx']), ['a-b-'])
  })

  it('ignores case when asked', () => {
    assert.deepEqual(matches('*.DLL', ['x.dll', 'X.DLL']), ['X.DLL'])
    assert.deepEqual(matches('*.DLL', ['x.dll', 'X.DLL'], { ignoreCase: true }), ['x.dll', 'X.DLL'])
  })

  it('throws on a reversed range', () => {
    assert.throws(() => globToRegExp('[z-a]'), SyntaxError)
  })
})

describe('NameFilter', () => {
  it('matches patterns without / against names, with / against the relative path', () => {
    const filter = new NameFilter(['*.dll', 'Program Files/*/update.exe'])

    assert.equal(filter.includes('ffmpeg.dll', 'deep/down/ffmpeg.dll'), true)
    assert.equal(filter.includes('update.exe', 'Program Files/3CX/update.exe'), true)
    assert.equal(filter.includes('update.exe', 'Program Files/3CX/bin/update.exe'), false)
    assert.equal(filter.includes('notes.txt', 'notes.txt'), false)
  })

  it('includes everything when there are no include patterns, and ignores a leading /', () => {
    const filter = new NameFilter([], ['/proc/**', 'node_modules'])

    assert.equal(filter.includes('anything', 'anything'), true)
    assert.equal(filter.excludes('proc', 'proc'), true)
    assert.equal(filter.excludes('node_modules', 'a/b/node_modules'), true)
    assert.equal(filter.excludes('procedures', 'procedures'), false)
  })
})
