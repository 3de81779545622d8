import { escapeHtml } from './model.js'
import type { AcknowledgementView } from './service.js'
import type { PublicStatusView, StatusView } from './status.js'

/**
 * The pages people outside the provider see: acknowledgement and status pages. Plain
 * server-rendered HTML that works without JavaScript; every value is escaped.
 */

/** No scripts, nothing external; forms post back to the page itself. */
export const pageContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: system-ui, sans-serif; line-height: 1.5; max-width: 48rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; }
button { font-size: 1rem; padding: 0.5rem 1rem; }
</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`
}

export function acknowledgementFailurePage(reason: 'invalid' | 'expired'): string {
  return reason === 'expired'
    ? page('Link expired', '<h1>This link has expired</h1>\n<p>The acknowledgement link is no longer valid. Please reply to the notice or contact your provider.</p>')
    : page('Link not valid', '<h1>This link is not valid</h1>\n<p>The acknowledgement link was not recognised. Check that you copied all of it, or contact your provider.</p>')
}

export function acknowledgementFormPage(view: Extract<AcknowledgementView, { ok: true }>, action: string): string {
  if (view.recipient.acknowledgedAt) return acknowledgedPage(view)
  return page(
    'Acknowledge notice',
    `<h1>Acknowledge notice</h1>
<p>Notice for <strong>${escapeHtml(view.customerName)}</strong>: ${escapeHtml(view.notice.subject)}</p>
<form method="post" action="${escapeHtml(action)}">
<p><label for="name">Your name</label><br>
<input id="name" name="name" type="text" maxlength="200" autocomplete="name" value="${escapeHtml(view.recipient.name)}"></p>
<p><button type="submit">I have received this notice</button></p>
</form>`,
  )
}

export function acknowledgedPage(view: Extract<AcknowledgementView, { ok: true }>): string {
  const when = escapeHtml(view.recipient.acknowledgedAt ?? '')
  const by = escapeHtml(view.recipient.acknowledgedBy ?? view.recipient.name)
  return view.recordedNow
    ? page('Notice acknowledged', `<h1>Thank you</h1>\n<p>Your acknowledgement was recorded: ${by}, at <time datetime="${when}">${when}</time>.</p>`)
    : page('Already acknowledged', `<h1>Already acknowledged</h1>\n<p>This notice was already acknowledged by ${by} at <time datetime="${when}">${when}</time>. Nothing more is needed.</p>`)
}

function updatesList(updates: StatusView['incidents'][number]['updates']): string {
  if (updates.length === 0) return '<p>No updates yet.</p>'
  return `<ol>\n${updates.map((u) => `<li><time datetime="${escapeHtml(u.createdAt)}">${escapeHtml(u.createdAt)}</time>: <strong>${escapeHtml(u.state)}</strong>: ${escapeHtml(u.text)}</li>`).join('\n')}\n</ol>`
}

/** A customer's incidents and remediation, its headings starting one level below `level`. */
function statusSections(view: StatusView, level: 1 | 2): string {
  const h2 = `h${level + 1}`
  const h3 = `h${level + 2}`
  const incidents =
    view.incidents.length === 0
      ? '<p>No active incidents affect you.</p>'
      : view.incidents.map((i) => `<section>\n<${h3}>${escapeHtml(i.title)}</${h3}>\n<p>Status: ${escapeHtml(i.status)}, severity ${escapeHtml(i.severity)}</p>\n${updatesList(i.updates)}\n</section>`).join('\n')
  const remediation =
    view.remediation === null
      ? '<p>Remediation progress is not available.</p>'
      : view.remediation.length === 0
        ? '<p>No remediation tasks.</p>'
        : `<table>\n<caption>Remediation progress per endpoint</caption>\n<thead><tr><th scope="col">Campaign</th><th scope="col">Endpoint</th><th scope="col">Open</th><th scope="col">Done</th></tr></thead>\n<tbody>\n${view.remediation
            .map((r) => `<tr><td>${escapeHtml(r.campaign)}</td><td>${escapeHtml(r.hostname ?? r.endpoint)}</td><td>${r.open}</td><td>${r.done}</td></tr>`)
            .join('\n')}\n</tbody>\n</table>`
  return `<${h2}>Active incidents</${h2}>\n${incidents}\n<${h2}>Remediation</${h2}>\n${remediation}`
}

export function statusPage(view: StatusView): string {
  return page(`Status for ${view.customer.name}`, `<h1>Status for ${escapeHtml(view.customer.name)}</h1>\n${statusSections(view, 1)}`)
}

/**
 * The portal: a customer's own status page, exactly as its private link shows it; a partner's
 * token, which covers its customers too, gets one section per customer on one page.
 */
export function portalPage(views: readonly StatusView[]): string {
  if (views.length === 1) return statusPage(views[0]!)
  const sections = views.map((view) => `<section>\n<h2>${escapeHtml(view.customer.name)}</h2>\n${statusSections(view, 2)}\n</section>`).join('\n')
  const names = views.map((view) => view.customer.name).join(', ')
  return page(`Status for ${names}`, `<h1>Status for ${escapeHtml(names)}</h1>\n${sections}`)
}

export function publicStatusPage(view: PublicStatusView): string {
  const incidents =
    view.incidents.length === 0
      ? '<p>All systems operational. No incidents are published.</p>'
      : view.incidents.map((i) => `<section>\n<h3>${escapeHtml(i.title)}</h3>\n${updatesList(i.updates)}\n</section>`).join('\n')
  return page('Service status', `<h1>Service status</h1>\n<h2>Incidents</h2>\n${incidents}`)
}

export function statusNotFoundPage(): string {
  return page('Status page not found', '<h1>Status page not found</h1>\n<p>This link is not valid or has been revoked. Ask your provider for a new one.</p>')
}
