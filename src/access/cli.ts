import type { Command } from 'commander'
import type { CliDoor } from '../cli/door.js'
import { AppError } from '../shared/errors.js'
import type { ApiToken, User } from './model.js'

/** `cordon token …` and `cordon users …`. */
export function registerAccessCommands(program: Command, door: CliDoor): void {
  const token = program.command('token').description('API tokens')

  door
    .common(token.command('create').description('create an API token; its secret is printed once'))
    .requiredOption('--name <name>', 'what the token is for')
    .option('--role <role>', 'admin, responder, viewer or customer', 'admin')
    .option('--customer <customer>', 'for role customer: the customer it belongs to (id, name or external reference)')
    .option('--user <userId>', 'the user the token is issued to')
    .option('--expires <when>', 'an ISO date-time, or a duration such as 90d or 12h')
    .action(
      door.action(async ({ services, actor }, _args, options) => {
        const customer = typeof options.customer === 'string' ? await services.customers.resolve(actor.scope, options.customer) : undefined
        const issued = await services.access.createToken(actor, {
          name: options.name,
          role: options.role,
          ...(customer && { customerId: customer.id }),
          ...(typeof options.user === 'string' && { userId: options.user }),
          ...(typeof options.expires === 'string' && { expiresAt: expiryFrom(options.expires, services.clock.now()) }),
        })
        return {
          data: issued,
          human: `created ${issued.token.role} token "${issued.token.name}" (${issued.token.id}).\nCopy the token now; it is not shown again:\n\n  ${issued.secret}\n`,
        }
      }),
    )

  door
    .common(token.command('list').description('list tokens, newest first (never their secrets)'))
    .option('--all', 'include revoked tokens')
    .action(
      door.action(async ({ services }, _args, options) => {
        const page = await services.access.listTokens({ includeRevoked: options.all === true, limit: 500 })
        return { data: page, human: tokenTable(door, page.items) }
      }),
    )

  door
    .common(token.command('revoke').argument('<tokenId>', 'the token id (the part after cordon_, before the secret)').description('revoke a token'))
    .action(
      door.action(async ({ services, actor }, [id]) => {
        const revoked = await services.access.revokeToken(actor, id!)
        return { data: revoked, human: `revoked "${revoked.name}" (${revoked.id})` }
      }),
    )

  const users = program.command('users').description('users')

  door
    .common(users.command('create').description('create a user'))
    .requiredOption('--email <email>', 'email address (unique)')
    .requiredOption('--name <name>', 'full name')
    .option('--role <role>', 'admin, responder, viewer or customer', 'viewer')
    .option('--customer <customer>', 'for role customer: their organisation')
    .action(
      door.action(async ({ services, actor }, _args, options) => {
        const customer = typeof options.customer === 'string' ? await services.customers.resolve(actor.scope, options.customer) : undefined
        const user = await services.access.createUser(actor, {
          email: options.email,
          name: options.name,
          role: options.role,
          ...(customer && { customerId: customer.id }),
        })
        return { data: user, human: `created ${user.role} user ${user.email} (${user.id})` }
      }),
    )

  door.common(users.command('list').description('list users')).action(
    door.action(async ({ services }) => {
      const page = await services.access.listUsers({ limit: 500 })
      return { data: page, human: userTable(door, page.items) }
    }),
  )

  door
    .common(users.command('disable').argument('<userId>').description('disable a user and their tokens'))
    .action(
      door.action(async ({ services, actor }, [id]) => {
        const user = await services.access.disableUser(actor, id!)
        return { data: user, human: `disabled ${user.email}` }
      }),
    )
}

/** "90d", "12h", "30m" from now, or an ISO date-time as given. */
export function expiryFrom(text: string, now: Date): string {
  const match = /^(\d+)([dhm])$/.exec(text.trim())
  if (match) {
    const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[match[2] as 'd' | 'h' | 'm']
    return new Date(now.getTime() + Number(match[1]) * unit).toISOString()
  }
  const date = new Date(text)
  if (Number.isNaN(date.getTime())) throw new AppError('invalid', `--expires "${text}": expected an ISO date-time or a duration like 90d`, { problems: [{ field: '--expires', message: 'malformed' }] })
  return date.toISOString()
}

function tokenTable(door: CliDoor, tokens: ApiToken[]): string {
  return door.table(tokens, [
    ['id', (t) => t.id],
    ['name', (t) => t.name],
    ['role', (t) => t.role],
    ['customer', (t) => t.customerId],
    ['created', (t) => t.createdAt],
    ['last used', (t) => t.lastUsedAt],
    ['expires', (t) => t.expiresAt],
    ['revoked', (t) => t.revokedAt],
  ])
}

function userTable(door: CliDoor, users: User[]): string {
  return door.table(users, [
    ['id', (u) => u.id],
    ['email', (u) => u.email],
    ['name', (u) => u.name],
    ['role', (u) => u.role],
    ['customer', (u) => u.customerId],
    ['disabled', (u) => u.disabledAt],
  ])
}
