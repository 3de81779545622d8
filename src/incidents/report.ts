import { Marked } from 'marked'
import { formatDuration, roleLabels, tidyLine, type IncidentDetail, type IncidentLink, type LinkKind, type TimelineEntry } from './model.js'

/**
 * The post-incident report, in Markdown, and in HTML rendered from that Markdown. Every string a
 * person or another system wrote (titles, notes, names, alert text) is escaped as Markdown text
 * before it goes in, so it cannot become a heading, a link or raw HTML; the HTML renderer also
 * escapes any raw HTML that would get through, and the page allows no scripts.
 */

export interface ReportInput {
  incident: IncidentDetail
  timeline: TimelineEntry[]
  /** Entries past the report's limit, counted but not shown. */
  omittedEntries: number
  /** What to call linked items and assignees: `kind:id` and user ids to a name, when known. */
  linkLabels: ReadonlyMap<string, string>
  userNames: ReadonlyMap<string, string>
  generatedAt: string
}

export type ReportFormat = 'markdown' | 'html'

const linkKindLabels: Record<LinkKind, string> = { alert: 'Alert', customer: 'Customer', advisory: 'Advisory', finding: 'Finding', sighting: 'Sighting' }

/**
 * Text as Markdown that renders as exactly that text: the characters that start inline
 * constructs (emphasis, code, links, HTML, entities, table cells, strikethrough) are
 * backslash-escaped, and lines are trimmed so none starts a block of their own.
 */
export function markdownText(text: string): string {
  return text.replace(/[\\`*_[\]<>|~&]/g, (c) => `\\${c}`)
}

/** One line of text inside a block: also escapes what a line may start with (a heading, quote, list or rule). */
function markdownLine(text: string): string {
  return markdownText(text.trim()).replace(/^([#>+=-])/, '\\$1').replace(/^(\d+)([.)])/, '$1\\$2')
}

/** Several lines, kept apart by hard line breaks and indented to stay inside a list item. */
function markdownLines(text: string, indent: string): string {
  const lines = text.split(/\r\n|\r|\n/).map(markdownLine).filter((line) => line !== '')
  return lines.join(`\\\n${indent}`)
}

function cell(text: string): string {
  return markdownText(tidyLine(text)) || '-'
}

export function formatTime(iso: string | null): string {
  return iso === null ? 'not yet' : `${iso.slice(0, 19).replace('T', ' ')} UTC`
}

function figure(seconds: number | null): string {
  return seconds === null ? 'not yet' : formatDuration(seconds)
}

export function renderMarkdown(input: ReportInput): string {
  const { incident } = input
  const out: string[] = []
  out.push(`# Incident report: ${markdownText(tidyLine(incident.title))}`, '')
  out.push(
    `- **Severity:** ${incident.severity}`,
    `- **Status:** ${incident.status}`,
    `- **Opened:** ${formatTime(incident.openedAt)} by ${markdownText(tidyLine(incident.openedBy))}`,
    `- **Acknowledged:** ${formatTime(incident.acknowledgedAt)}`,
    `- **Contained:** ${formatTime(incident.containedAt)}`,
    `- **Resolved:** ${formatTime(incident.resolvedAt)}`,
    `- **Closed:** ${formatTime(incident.closedAt)}`,
    '',
  )

  out.push('## Figures', '', '| Figure | Time from opening |', '|---|---|')
  out.push(`| Time to acknowledge | ${figure(incident.figures.timeToAcknowledgeSeconds)} |`)
  out.push(`| Time to contain | ${figure(incident.figures.timeToContainSeconds)} |`)
  out.push(`| Time to resolve | ${figure(incident.figures.timeToResolveSeconds)} |`, '')

  out.push('## Summary', '')
  const summary = markdownLines(incident.summary, '')
  out.push(summary === '' ? '_No summary._' : summary, '')

  out.push('## Roles', '')
  for (const role of ['commander', 'communications_lead', 'operations_lead'] as const) {
    const holder = incident.roles.find((r) => r.role === role)
    out.push(`- **${roleLabels[role]}:** ${holder ? `${markdownText(tidyLine(holder.name))} (${markdownText(holder.email)})` : 'not assigned'}`)
  }
  out.push('')

  out.push('## Linked items', '')
  if (incident.links.length === 0) out.push('_None._')
  for (const link of incident.links) out.push(`- ${linkKindLabels[link.kind]}: ${linkLabel(input, link)}`)
  out.push('')

  out.push('## Timeline', '')
  if (input.timeline.length === 0) out.push('_No entries._')
  for (const entry of input.timeline) {
    out.push(`- ${formatTime(entry.at)} · **${markdownText(entry.kind)}** · ${markdownLines(entry.text, '  ')} _(${markdownText(tidyLine(entry.actorLabel))})_`)
  }
  if (input.omittedEntries > 0) out.push('', `_${input.omittedEntries} later entries are not shown._`)
  out.push('')

  out.push('## Tasks', '')
  if (incident.tasks.length === 0) out.push('_No tasks._')
  else {
    out.push('| # | Task | Role | Assignee | Due | Status | Done at |', '|---|---|---|---|---|---|---|')
    for (const task of incident.tasks) {
      const assignee = task.assigneeId === null ? '-' : cell(input.userNames.get(task.assigneeId) ?? task.assigneeId)
      const done = task.completedAt === null ? '-' : formatTime(task.completedAt)
      out.push(`| ${task.position} | ${cell(task.title)} | ${task.role ? roleLabels[task.role] : '-'} | ${assignee} | ${task.dueAt === null ? '-' : formatTime(task.dueAt)} | ${task.status} | ${done} |`)
    }
  }
  out.push('', '---', '', `Generated by Cordon at ${formatTime(input.generatedAt)}.`, '')
  return out.join('\n')
}

function linkLabel(input: ReportInput, link: IncidentLink): string {
  const label = input.linkLabels.get(`${link.kind}:${link.targetId}`)
  return label === undefined ? markdownText(tidyLine(link.targetId)) : `${markdownText(tidyLine(label))} (${markdownText(tidyLine(link.targetId))})`
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}

const markdown = new Marked({ gfm: true, async: false })
markdown.use({
  // Raw HTML never passes through: the Markdown above escapes it, and this catches whatever would slip by.
  renderer: { html: ({ text }) => escapeHtml(text) },
  // Nor do bare URLs and addresses in people's text become links (GFM would make them so).
  tokenizer: { url: () => undefined },
})

/** The page's own policy: no scripts, no external anything, only its inline style. */
export const reportContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

export function renderHtml(input: ReportInput): string {
  const body = markdown.parse(renderMarkdown(input), { async: false })
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${reportContentSecurityPolicy}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Incident report: ${escapeHtml(tidyLine(input.incident.title))}</title>
<style>
body { font-family: system-ui, sans-serif; line-height: 1.5; max-width: 64rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
</style>
</head>
<body>
<main>
${body}</main>
</body>
</html>
`
}

export function renderReport(input: ReportInput, format: ReportFormat): string {
  return format === 'html' ? renderHtml(input) : renderMarkdown(input)
}
