import { createHash } from 'node:crypto'
import type { Audit } from '../audit/index.js'
import type { Db } from '../db/connect.js'
import { isUniqueViolation } from '../db/errors.js'
import type { Actor } from '../shared/actor.js'
import type { Clock } from '../shared/clock.js'
import { AppError, notFound } from '../shared/errors.js'
import { newId } from '../shared/ids.js'
import { parseInput } from '../shared/validate.js'
import { bundledPlaybooks } from './bundled-playbooks.js'
import { PlaybookInputSchema, tidyLine, type Playbook, type PlaybookInput, type TaskTemplate } from './model.js'
import * as store from './store.js'

export interface PlaybooksDeps {
  db: Db
  clock: Clock
  audit: Audit
}

export type Playbooks = ReturnType<typeof createPlaybooks>

/** A playbook's content, tidied: what is stored, and what its hash covers. */
function contentOf(input: PlaybookInput): { name: string; description: string; tasks: TaskTemplate[] } {
  return {
    name: tidyLine(input.name),
    description: input.description?.trim() ?? '',
    tasks: input.tasks.map((t) => ({ title: tidyLine(t.title), description: t.description?.trim() ?? '', role: t.role ?? null, dueInMinutes: t.dueInMinutes ?? null })),
  }
}

function hashOf(content: ReturnType<typeof contentOf>): string {
  return createHash('sha256').update(JSON.stringify(content)).digest('hex')
}

function withoutHash({ contentHash: _hash, ...playbook }: store.PlaybookRow): Playbook {
  return playbook
}

const bundledSlugs = new Set(bundledPlaybooks.map((p) => p.slug))

/** Playbooks: named, ordered task templates. Cordon's own are upserted at start; people save their own. */
export function createPlaybooks({ db, clock, audit }: PlaybooksDeps) {
  async function list(): Promise<Playbook[]> {
    return (await store.listPlaybooks(db)).map(withoutHash)
  }

  async function get(reference: string): Promise<Playbook> {
    const found = await store.findPlaybook(db, reference)
    if (!found) throw notFound('playbook', reference)
    return withoutHash(found)
  }

  /** A playbook named in some input (by slug or id), inside the caller's transaction; unknown: invalid, naming the field. */
  async function resolveIn(trx: Db, reference: string, field: string): Promise<Playbook> {
    const found = await store.findPlaybook(trx, reference)
    if (!found) throw new AppError('invalid', `playbook ${reference} does not exist`, { problems: [{ field, message: 'no such playbook (give its slug or id)' }] })
    return withoutHash(found)
  }

  /** Creates a custom playbook, or replaces the custom playbook with that slug. Cordon's own cannot be replaced. */
  async function save(actor: Actor, input: unknown): Promise<Playbook> {
    const data = parseInput(PlaybookInputSchema, input, 'playbook')
    const content = contentOf(data)
    const contentHash = hashOf(content)
    if (bundledSlugs.has(data.slug)) throw bundledConflict(data.slug)
    const now = clock.now().toISOString()
    try {
      return await db.transaction().execute(async (trx) => {
        const current = await store.findPlaybook(trx, data.slug)
        if (current && current.slug !== data.slug) throw new AppError('invalid', `${data.slug} is another playbook's id`, { problems: [{ field: 'slug', message: 'is a playbook id' }] })
        if (current?.source === 'bundled') throw bundledConflict(data.slug)
        if (current) {
          if (current.contentHash === contentHash) return withoutHash(current)
          await store.replacePlaybook(trx, current.id, { ...content, contentHash, updatedAt: now })
          await audit.record(trx, actor, { action: 'playbook.updated', targetType: 'playbook', targetId: current.id, details: { slug: data.slug, name: content.name, tasks: content.tasks.length } })
          return { ...withoutHash(current), ...content, updatedAt: now }
        }
        const playbook: store.PlaybookRow = { id: newId(), slug: data.slug, ...content, source: 'custom', contentHash, createdAt: now, updatedAt: now }
        await store.insertPlaybook(trx, playbook)
        await audit.record(trx, actor, { action: 'playbook.created', targetType: 'playbook', targetId: playbook.id, details: { slug: data.slug, name: content.name, tasks: content.tasks.length } })
        return withoutHash(playbook)
      })
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('conflict', `a playbook with slug ${data.slug} was saved at the same time; try again`, { cause: error })
      throw error
    }
  }

  /**
   * Stores the playbooks Cordon ships with: new ones are added and changed ones replaced, each with
   * an audit record; unchanged ones write nothing. Safe when several processes start at once.
   */
  async function loadBundled(actor: Actor): Promise<void> {
    for (const bundled of bundledPlaybooks) {
      const content = contentOf(bundled)
      const contentHash = hashOf(content)
      const current = await store.findPlaybook(db, bundled.slug)
      // A custom playbook saved under a slug a later version ships is people's work: it stays.
      if (current && (current.source === 'custom' || current.contentHash === contentHash)) continue
      const now = clock.now().toISOString()
      try {
        await db.transaction().execute(async (trx) => {
          if (current) {
            await store.replacePlaybook(trx, current.id, { ...content, contentHash, updatedAt: now })
            await audit.record(trx, actor, { action: 'playbook.updated', targetType: 'playbook', targetId: current.id, details: { slug: bundled.slug, bundled: true } })
            return
          }
          const id = newId()
          await store.insertPlaybook(trx, { id, slug: bundled.slug, ...content, source: 'bundled', contentHash, createdAt: now, updatedAt: now })
          await audit.record(trx, actor, { action: 'playbook.created', targetType: 'playbook', targetId: id, details: { slug: bundled.slug, bundled: true } })
        })
      } catch (error) {
        // Another process starting at the same moment stored it first.
        if (!isUniqueViolation(error)) throw error
      }
    }
  }

  return { list, get, resolveIn, save, loadBundled }
}

function bundledConflict(slug: string): AppError {
  return new AppError('conflict', `${slug} is a playbook Cordon ships with; save yours under another slug`, { problems: [{ field: 'slug', message: 'belongs to a bundled playbook' }] })
}
