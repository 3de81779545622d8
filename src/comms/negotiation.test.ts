import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { prefersHtml } from './negotiation.js'

describe('prefersHtml', () => {
  it('prefers HTML for what browsers send when following a link', () => {
    assert.equal(prefersHtml('text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8'), true)
    assert.equal(prefersHtml('text/html, */*'), true)
  })

  it('answers JSON with no header, for anything, and for JSON asked for by name', () => {
    assert.equal(prefersHtml(undefined), false)
    assert.equal(prefersHtml(''), false)
    assert.equal(prefersHtml('*/*'), false)
    assert.equal(prefersHtml('application/json'), false)
    assert.equal(prefersHtml('application/json, text/plain, */*'), false)
  })

  it('weighs q-values before the order ranges are listed in', () => {
    assert.equal(prefersHtml('text/html;q=0.5, application/json'), false)
    assert.equal(prefersHtml('application/json;q=0.4, text/html;q=0.9'), true)
    assert.equal(prefersHtml('application/json; q=0.4, text/*'), true)
  })

  it('takes a type’s q-value from the most specific range that matches it', () => {
    assert.equal(prefersHtml('text/html;q=0, */*'), false)
    assert.equal(prefersHtml('*/*, application/json;q=0'), true)
  })

  it('breaks a tie by the range listed first', () => {
    assert.equal(prefersHtml('text/html, application/json'), true)
    assert.equal(prefersHtml('application/json, text/html'), false)
  })

  it('answers JSON when neither type is acceptable or a q-value is not a number', () => {
    assert.equal(prefersHtml('image/png'), false)
    assert.equal(prefersHtml('text/html;q=high'), false)
  })
})
