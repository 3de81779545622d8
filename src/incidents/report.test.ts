import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { IncidentDetail } from './model.js'
import { markdownText, renderHtml, renderMarkdown, type ReportInput } from './report.js'

function aReport(incident: Partial<IncidentDetail> = {}, rest: Partial<ReportInput> = {}): ReportInput {
  return {
    incident: {
      id: 'incident-1',
      title: 'Report',
      summary: '',
      severity: 'SEV2',
      status: 'active',
      commanderId: null,
      communicationsLeadId: null,
      operationsLeadId: null,
      openedAt: '2026-03-29T10:00:00.000Z',
      openedBy: 'rita',
      acknowledgedAt: null,
      containedAt: null,
      resolvedAt: null,
      closedAt: null,
      updatedAt: '2026-03-29T10:00:00.000Z',
      roles: [],
      links: [],
      tasks: [],
      figures: { timeToAcknowledgeSeconds: null, timeToContainSeconds: null, timeToResolveSeconds: null },
      ...incident,
    },
    timeline: [],
    omittedEntries: 0,
    linkLabels: new Map(),
    userNames: new Map(),
    generatedAt: '2026-03-30T00:00:00.000Z',
    ...rest,
  }
}

const note = (text: string) => ({ id: '1', incidentId: 'incident-1', at: '2026-03-29T10:01:00.000Z', kind: 'note', text, actorLabel: 'rita', data: null })
const aTask = (title: string) => ({ id: 't', incidentId: 'incident-1', position: 1, title, description: '', role: null, assigneeId: null, dueAt: null, status: 'open' as const, playbookId: null, createdAt: '2026-03-29T10:00:00.000Z', updatedAt: '2026-03-29T10:00:00.000Z', completedAt: null })

describe('incident report', () => {
  it('keeps HTML in a title as text in the HTML report', () => {
    const html = renderHtml(aReport({ title: '<script>alert(1)</script><img src=x onerror=alert(2)>' }))

    assert.doesNotMatch(html, /<script|<img/)
    assert.match(html, /<h1>Incident report: &lt;script&gt;alert\(1\)&lt;\/script&gt;&lt;img src=x onerror=alert\(2\)&gt;<\/h1>/)
  })

  it('does not turn Markdown link syntax in a note into a link', () => {
    const html = renderHtml(aReport({}, { timeline: [note('[click me](javascript:alert(1)) and <https://evil.example>')] }))

    assert.doesNotMatch(html, /<a /)
    assert.match(html, /\[click me\]\(javascript:alert\(1\)\) and &lt;https:\/\/evil.example&gt;/)
  })

  it('keeps a note line that looks like a heading or a quote inside its timeline entry', () => {
    const html = renderHtml(aReport({}, { timeline: [note('first\n# not a heading\n> not a quote\n1. not a list')] }))

    assert.match(html, /<li>.*first<br># not a heading<br>&gt; not a quote<br>1\. not a list <em>\(rita\)<\/em><\/li>/)
    assert.doesNotMatch(html, /<h1># not|<blockquote>|<ol>/)
  })

  it('keeps a pipe in a task title inside its table cell', () => {
    const markdown = renderMarkdown(aReport({ tasks: [aTask('check | the trunk')] }))

    assert.match(markdown, /^\| 1 \| check \\\| the trunk \| - \| - \| - \| open \| - \|$/m)
  })

  it('says "not yet" for figures that have not happened', () => {
    const markdown = renderMarkdown(aReport({ figures: { timeToAcknowledgeSeconds: 90, timeToContainSeconds: null, timeToResolveSeconds: null } }))

    assert.match(markdown, /\| Time to acknowledge \| 1 min \|\n\| Time to contain \| not yet \|\n\| Time to resolve \| not yet \|/)
  })

  it('escapes every character that starts an inline construct', () => {
    assert.equal(markdownText('*a* _b_ `c` [d] <e> |f| ~g~ &h; \\'), '\\*a\\* \\_b\\_ \\`c\\` \\[d\\] \\<e\\> \\|f\\| \\~g\\~ \\&h; \\\\')
  })
})
