import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { figuresOf, formatDuration, milestonesOf, statuses, transitionProblem, type Status } from './model.js'

describe('status transitions', () => {
  const allowed = (from: Status) => statuses.filter((to) => to !== from && transitionProblem(from, to) === undefined)

  it('moves forward to any later status, skipping steps', () => {
    assert.deepEqual(allowed('triage'), ['active', 'contained', 'resolved', 'closed'])
    assert.deepEqual(allowed('active'), ['contained', 'resolved', 'closed'])
  })

  it('lets a contained or resolved incident go back to active only', () => {
    assert.deepEqual(allowed('contained'), ['active', 'resolved', 'closed'])
    assert.deepEqual(allowed('resolved'), ['active', 'closed'])
  })

  it('keeps a closed incident closed', () => {
    assert.deepEqual(allowed('closed'), [])
    assert.match(transitionProblem('closed', 'active')!, /closed is final/)
  })

  it('refuses going back to triage, naming both statuses', () => {
    assert.match(transitionProblem('active', 'triage')!, /from active to triage/)
  })
})

describe('milestones', () => {
  const none = { acknowledgedAt: null, containedAt: null, resolvedAt: null, closedAt: null }

  it('sets acknowledged, contained and resolved together when a move skips to resolved', () => {
    assert.deepEqual(milestonesOf(none, 'resolved', 'T'), { acknowledgedAt: 'T', containedAt: 'T', resolvedAt: 'T' })
  })

  it('keeps the first times when an incident is resolved again after a reopening', () => {
    assert.deepEqual(milestonesOf({ acknowledgedAt: 'A', containedAt: 'C', resolvedAt: 'R', closedAt: null }, 'resolved', 'T'), {})
  })
})

describe('figures', () => {
  it('counts seconds from opening, and null for what has not happened', () => {
    const figures = figuresOf({ openedAt: '2026-03-29T10:00:00Z', acknowledgedAt: '2026-03-29T10:05:00Z', containedAt: '2026-03-29T11:05:30Z', resolvedAt: null })

    assert.deepEqual(figures, { timeToAcknowledgeSeconds: 300, timeToContainSeconds: 3930, timeToResolveSeconds: null })
  })

  it('writes durations the way people say them', () => {
    assert.deepEqual([45, 300, 3600, 3930, 86_400, 97_200].map(formatDuration), ['45 s', '5 min', '1 h', '1 h 5 min', '1 d', '1 d 3 h'])
  })
})
