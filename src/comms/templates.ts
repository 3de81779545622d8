import { isUniqueViolation } from '../db/errors.js'
import type { Actor } from '../shared/actor.js'
import { AppError, notFound } from '../shared/errors.js'
import { newId } from '../shared/ids.js'
import { parseInput } from '../shared/validate.js'
import { defaultTemplate, requireResponder, templateProblems, TemplateInputSchema, type Template } from './model.js'
import type { CommsDeps } from './service.js'
import * as store from './store.js'

function nameKey(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase()
}

/** Notice templates: stored Markdown whose placeholders are checked when saved, and the one Cordon ships with. */
export function createTemplates(deps: Pick<CommsDeps, 'db' | 'clock' | 'audit'>) {
  const { db, clock, audit } = deps

  async function saveTemplate(actor: Actor, input: unknown, id?: string): Promise<Template> {
    requireResponder(actor)
    const data = parseInput(TemplateInputSchema, input, 'template')
    const problems = templateProblems(data.subject, data.body)
    if (problems.length > 0) throw new AppError('invalid', `the template refers to fields a notice does not have: ${problems.map((p) => p.message).join('; ')}`, { problems })
    const key = nameKey(data.name)
    const now = clock.now().toISOString()
    try {
      return await db.transaction().execute(async (trx) => {
        const existing = id === undefined ? undefined : await store.findTemplate(trx, id)
        if (id !== undefined && !existing) throw notFound('template', id)
        const template: Template = { id: existing?.id ?? newId(), name: data.name.trim(), subject: data.subject, body: data.body, createdAt: existing?.createdAt ?? now, updatedAt: now }
        if (existing) await store.updateTemplate(trx, { ...template, nameKey: key })
        else await store.insertTemplate(trx, { ...template, nameKey: key })
        await audit.record(trx, actor, { action: existing ? 'comms.template.updated' : 'comms.template.created', targetType: 'comms_template', targetId: template.id, details: { name: template.name } })
        return template
      })
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('conflict', `a template named ${data.name} already exists`, { problems: [{ field: 'name', message: 'already used' }] })
      throw error
    }
  }

  async function getTemplate(reference: string): Promise<Template> {
    const template = await store.findTemplate(db, reference)
    if (!template) throw notFound('template', reference)
    return template
  }

  const listTemplates = () => store.listTemplates(db)

  /** The template Cordon ships with, saved once; an edited copy is left alone. */
  async function loadDefaultTemplate(actor: Actor): Promise<Template> {
    const existing = await store.findTemplateByNameKey(db, nameKey(defaultTemplate.name))
    if (existing) return existing
    try {
      return await saveTemplate(actor, { ...defaultTemplate })
    } catch (error) {
      // Another process saved it first.
      if (error instanceof AppError && error.kind === 'conflict') return getTemplate(defaultTemplate.name)
      throw error
    }
  }

  return { saveTemplate, getTemplate, listTemplates, loadDefaultTemplate }
}

export type Templates = ReturnType<typeof createTemplates>
