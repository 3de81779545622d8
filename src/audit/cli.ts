import type { Command } from 'commander'
import type { CliDoor } from '../cli/door.js'
import { AppError } from '../shared/errors.js'

/** `cordon audit verify` and `cordon audit list`. */
export function registerAuditCommands(program: Command, door: CliDoor): void {
  const audit = program.command('audit').description('the hash-chained audit log')

  door
    .common(audit.command('verify').description('recompute the hash chain; exit 1 and name the first broken record if it was tampered with'))
    .action(
      door.action(async ({ services, progress }) => {
        const outcome = await services.audit.verify((checked, total) => progress(`verified ${checked} of ${total} records`))
        progress('')
        if (!outcome.ok) {
          throw new AppError('conflict', `audit chain broken at seq ${outcome.broken.seq}${outcome.broken.id ? ` (record ${outcome.broken.id})` : ''}: ${outcome.broken.message} [${outcome.broken.reason}]`)
        }
        return { data: outcome, human: `audit chain intact: ${outcome.records} records, head ${outcome.headHash}` }
      }),
    )

  door
    .common(audit.command('list').description('audit records, newest first'))
    .option('--limit <n>', 'how many', '50')
    .option('--target <type:id>', 'only records about this target, e.g. customer:<id>')
    .option('--action <action>', 'only this action, e.g. customer.created')
    .action(
      door.action(async ({ services, actor }, _args, options) => {
        const [targetType, targetId] = typeof options.target === 'string' ? options.target.split(':', 2) : [undefined, undefined]
        const limit = door.pageSize(options.limit)
        const page = await services.audit.list(actor.scope, { limit, targetType, targetId, action: options.action as string | undefined })
        return {
          data: page,
          human: door.table(page.items, [
            ['seq', (r) => r.seq],
            ['at', (r) => r.at],
            ['actor', (r) => `${r.actorKind}:${r.actorLabel}`],
            ['action', (r) => r.action],
            ['target', (r) => `${r.targetType}:${r.targetId}`],
          ]),
        }
      }),
    )
}
