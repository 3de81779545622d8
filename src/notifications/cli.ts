import type { Command } from 'commander'
import type { CliDoor } from '../cli/door.js'
import { AppError } from '../shared/errors.js'
import type { Channel, ChannelWithSecret, Notification, NotificationWithLog } from './model.js'

/** `cordon notify …`: channels, test messages, and the outbox with its delivery log. */
export function registerNotificationCommands(program: Command, door: CliDoor): void {
  const notify = program.command('notify').description('notification channels and the messages sent to them')

  door
    .common(notify.command('test').argument('<channel>', 'channel id or name').description('send a test message to a channel now (exit 1 if it was not delivered)'))
    .action(
      door.action(async ({ services, actor }, [reference]) => {
        const channel = await services.notifications.resolveChannel(actor, reference!)
        const result = await services.notifications.testChannel(actor, channel.id)
        if (result.status !== 'delivered') {
          throw new AppError('unavailable', `the test message to ${channel.name} was not delivered: ${result.lastError ?? 'unknown error'} (cordon notify show ${result.id})`)
        }
        return { data: result, human: `delivered a test message to ${channel.name}: ${result.deliveryLog.at(-1)?.detail ?? ''}` }
      }),
    )

  const channels = notify.command('channels').description('list notification channels')
  door
    .common(channels.command('list', { isDefault: true }).description('list notification channels'))
    .action(
      door.action(async ({ services, actor }) => {
        const items = await services.notifications.listChannels(actor)
        return { data: { items }, human: door.table<Channel>(items, channelColumns) }
      }),
    )

  const channel = notify.command('channel').description('add or remove a notification channel')
  door
    .common(channel.command('add').description('add an email or webhook channel (a webhook’s signing secret is printed once)'))
    .requiredOption('--name <name>', 'unique name')
    .option('--email <address>', 'an email channel: the address')
    .option('--webhook <url>', 'a webhook channel: the http:// or https:// URL')
    .option('--preset <preset>', 'webhook body: generic (default), slack or teams')
    .option('--secret <secret>', 'webhook signing secret (default: generated)')
    .option('--customer <customer>', 'the customer the channel belongs to: its notices and updates go here too')
    .action(
      door.action(async ({ services, actor }, _args, options) => {
        const email = options.email as string | undefined
        const webhook = options.webhook as string | undefined
        if ((email === undefined) === (webhook === undefined)) {
          throw new AppError('invalid', 'give --email <address> or --webhook <url>, one of them', { problems: [{ field: '--email', message: 'or --webhook, one of them' }] })
        }
        if (email !== undefined && (options.preset !== undefined || options.secret !== undefined)) {
          throw new AppError('invalid', '--preset and --secret are for webhook channels', { problems: [{ field: options.preset !== undefined ? '--preset' : '--secret', message: 'only with --webhook' }] })
        }
        const created = await services.notifications.createChannel(
          actor,
          email !== undefined
            ? { name: options.name, kind: 'email', address: email, ...(options.customer !== undefined && { customer: options.customer }) }
            : {
                name: options.name,
                kind: 'webhook',
                url: webhook,
                ...(options.preset !== undefined && { preset: options.preset }),
                ...(options.secret !== undefined && { secret: options.secret }),
                ...(options.customer !== undefined && { customer: options.customer }),
              },
        )
        return { data: created, human: describeCreated(created) }
      }),
    )

  door
    .common(channel.command('remove').argument('<channel>', 'channel id or name').description('delete a channel (its messages stay; queued ones are not sent)'))
    .action(
      door.action(async ({ services, actor }, [reference]) => {
        const found = await services.notifications.resolveChannel(actor, reference!)
        await services.notifications.removeChannel(actor, found.id)
        return { data: { removed: found.id }, human: `removed ${found.name} (${found.id})` }
      }),
    )

  door
    .common(notify.command('list').description('messages, newest first'))
    .option('--status <status>', 'queued, delivered or dead')
    .option('--incident <id>', 'about this incident')
    .option('--alert <id>', 'about this alert')
    .option('--customer <id>', 'about this customer')
    .option('--limit <n>', 'page size', '50')
    .option('--cursor <cursor>', 'continue from a previous page')
    .action(
      door.action(async ({ services }, _args, options) => {
        const page = await services.notifications.list({
          status: options.status as string | undefined,
          incidentId: options.incident as string | undefined,
          alertId: options.alert as string | undefined,
          customerId: options.customer as string | undefined,
          limit: door.pageSize(options.limit),
          cursor: options.cursor as string | undefined,
        })
        const human = door.pageTable<Notification>(page, [
          ['id', (n) => n.id],
          ['status', (n) => n.status],
          ['kind', (n) => n.kind],
          ['to', (n) => n.channelName ?? n.recipient],
          ['attempts', (n) => n.attempts],
          ['created', (n) => n.createdAt],
          ['subject', (n) => n.subject.slice(0, 60)],
        ])
        return { data: page, human }
      }),
    )

  door
    .common(notify.command('show').argument('<id>', 'message id').description('a message and its delivery log'))
    .action(
      door.action(async ({ services }, [id]) => {
        const message = await services.notifications.get(id!)
        return { data: message, human: describeMessage(door, message) }
      }),
    )
}

const channelColumns: Array<[string, (channel: Channel) => string | null]> = [
  ['name', (c) => c.name],
  ['kind', (c) => (c.preset && c.preset !== 'generic' ? `${c.kind} (${c.preset})` : c.kind)],
  ['to', (c) => c.address ?? c.url],
  ['disabled', (c) => c.disabledAt],
  ['id', (c) => c.id],
]

function describeCreated(channel: ChannelWithSecret): string {
  const lines = [`added ${channel.kind} channel ${channel.name} (${channel.id})`]
  if (channel.secret) lines.push('', 'Signing secret (shown once, give it to the receiver now):', '', `  ${channel.secret}`, '', 'Receivers verify requests as docs/webhooks.md describes.')
  return lines.join('\n')
}

function describeMessage(door: CliDoor, message: NotificationWithLog): string {
  return [
    door.fields([
      ['id', message.id],
      ['status', message.status],
      ['kind', message.kind],
      ['channel', message.channelName],
      ['recipient', message.recipientName ? `${message.recipientName} <${message.recipient}>` : message.recipient],
      ['subject', message.subject],
      ['idempotency key', message.idempotencyKey],
      ['event', message.event?.type],
      ['incident', message.incidentId],
      ['alert', message.alertId],
      ['customer', message.customerId],
      ['created', message.createdAt],
      ['delivered', message.deliveredAt],
      ['last error', message.lastError],
    ]),
    '',
    'delivery log:',
    door.table(message.deliveryLog, [
      ['attempt', (a) => a.attempt],
      ['outcome', (a) => a.outcome],
      ['finished', (a) => a.finishedAt],
      ['detail', (a) => a.detail?.slice(0, 80)],
      ['error', (a) => a.error?.slice(0, 120)],
    ]),
  ].join('\n')
}
