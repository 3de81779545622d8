import type { Command } from 'commander'
import type { CliDoor } from '../cli/door.js'
import { AppError } from '../shared/errors.js'
import type { Contact, CustomerWithContacts } from './model.js'

/** `cordon customers …`: the same use-cases as the API, on the configured database. */
export function registerCustomerCommands(program: Command, door: CliDoor): void {
  const customers = program.command('customers').description('customers (tenants), partners and their contacts')

  door
    .common(customers.command('list').description('list customers by name'))
    .option('--search <text>', 'names containing this text')
    .option('--partner <customer>', "only this partner's customers")
    .option('--archived', 'include archived customers')
    .option('--limit <n>', 'page size', '100')
    .option('--cursor <cursor>', 'continue from a previous page')
    .action(
      door.action(async ({ services, actor }, _args, options) => {
        const partner = typeof options.partner === 'string' ? await services.customers.resolve(actor.scope, options.partner) : undefined
        const page = await services.customers.list(actor.scope, {
          search: options.search as string | undefined,
          parentId: partner?.id,
          includeArchived: options.archived === true,
          limit: door.pageSize(options.limit),
          cursor: options.cursor as string | undefined,
        })
        const human = door.pageTable(page, [
          ['id', (c) => c.id],
          ['name', (c) => c.name],
          ['kind', (c) => c.kind],
          ['external ref', (c) => c.externalRef],
          ['archived', (c) => c.archivedAt],
        ])
        return { data: page, human }
      }),
    )

  door
    .common(customers.command('show').argument('<customer>', 'id, exact name or external reference').description('show a customer and its contacts'))
    .action(
      door.action(async ({ services, actor }, [reference]) => {
        const found = await services.customers.resolve(actor.scope, reference!)
        const customer = await services.customers.get(actor.scope, found.id)
        return { data: customer, human: describe(door, customer) }
      }),
    )

  door
    .common(customers.command('create').description('create a customer or partner'))
    .requiredOption('--name <name>', 'organisation name (unique, case-insensitive)')
    .option('--partner', 'this organisation is a partner that resells to customers of its own')
    .option('--parent <partner>', 'the partner this customer buys through (id, name or external reference)')
    .option('--external-ref <ref>', 'its id in your RMM or PSA')
    .option('--account-owner <userId>', 'the provider user who answers for it (unacknowledged notices escalate to them)')
    .option('--notes <text>', 'free text')
    .option('--contact <contact...>', 'a contact as "Name <email>" or "Name <email> role" (role: primary, technical, security, billing, executive, other)')
    .action(
      door.action(async ({ services, actor }, _args, options) => {
        const parent = typeof options.parent === 'string' ? await services.customers.resolve(actor.scope, options.parent) : undefined
        const customer = await services.customers.create(actor, {
          name: options.name,
          kind: options.partner === true ? 'partner' : 'customer',
          ...(parent && { parentId: parent.id }),
          ...(typeof options.externalRef === 'string' && { externalRef: options.externalRef }),
          ...(typeof options.accountOwner === 'string' && { accountOwnerId: options.accountOwner }),
          ...(typeof options.notes === 'string' && { notes: options.notes }),
          contacts: ((options.contact as string[] | undefined) ?? []).map(parseContact),
        })
        return { data: customer, human: `created ${customer.kind} ${customer.name} (${customer.id})` }
      }),
    )

  door
    .common(customers.command('update').argument('<customer>', 'id, exact name or external reference').description('change a customer'))
    .option('--name <name>', 'new name')
    .option('--kind <kind>', 'customer or partner')
    .option('--parent <partner>', 'new partner (id, name or external reference); "none" to remove')
    .option('--external-ref <ref>', 'new external reference; "none" to remove')
    .option('--account-owner <userId>', 'new account owner (a user id); "none" to remove')
    .option('--notes <text>', 'new notes')
    .action(
      door.action(async ({ services, actor }, [reference], options) => {
        const customer = await services.customers.resolve(actor.scope, reference!)
        const parentId =
          options.parent === undefined ? undefined : options.parent === 'none' ? null : (await services.customers.resolve(actor.scope, String(options.parent))).id
        const patch = {
          ...(options.name !== undefined && { name: options.name }),
          ...(options.kind !== undefined && { kind: options.kind }),
          ...(parentId !== undefined && { parentId }),
          ...(options.externalRef !== undefined && { externalRef: options.externalRef === 'none' ? null : options.externalRef }),
          ...(options.accountOwner !== undefined && { accountOwnerId: options.accountOwner === 'none' ? null : options.accountOwner }),
          ...(options.notes !== undefined && { notes: options.notes }),
        }
        if (Object.keys(patch).length === 0) throw new AppError('invalid', 'nothing to change: give at least one option')
        const updated = await services.customers.update(actor, customer.id, patch)
        return { data: updated, human: `updated ${updated.name} (${updated.id})` }
      }),
    )

  for (const [name, archive] of [['archive', true], ['restore', false]] as const) {
    door
      .common(customers.command(name).argument('<customer>', 'id, exact name or external reference'))
      .description(archive ? 'archive a customer: hidden from lists, its tokens stop working' : 'restore an archived customer')
      .action(
        door.action(async ({ services, actor }, [reference]) => {
          const customer = await services.customers.resolve(actor.scope, reference!)
          const result = archive ? await services.customers.archive(actor, customer.id) : await services.customers.restore(actor, customer.id)
          return { data: result, human: `${archive ? 'archived' : 'restored'} ${result.name}` }
        }),
      )
  }

  const contacts = customers.command('contacts').description("a customer's contacts")

  door
    .common(contacts.command('add').argument('<customer>', 'id, exact name or external reference').description('add a contact'))
    .requiredOption('--name <name>', 'full name')
    .requiredOption('--email <email>', 'email address')
    .option('--role <role>', 'primary, technical, security, billing, executive or other', 'technical')
    .option('--phone <phone>', 'phone number')
    .action(
      door.action(async ({ services, actor }, [reference], options) => {
        const customer = await services.customers.resolve(actor.scope, reference!)
        const contact = await services.customers.addContact(actor, customer.id, {
          name: options.name,
          email: options.email,
          role: options.role,
          ...(typeof options.phone === 'string' && { phone: options.phone }),
        })
        return { data: contact, human: `added ${contact.name} <${contact.email}> to ${customer.name}` }
      }),
    )

  door
    .common(contacts.command('remove').argument('<customer>', 'id, exact name or external reference').argument('<contact>', 'contact id or email'))
    .description('remove a contact')
    .action(
      door.action(async ({ services, actor }, [reference, contactReference]) => {
        const customer = await services.customers.resolve(actor.scope, reference!)
        const all = await services.customers.listContacts(actor.scope, customer.id)
        const contact = all.find((c) => c.id === contactReference || c.email.toLowerCase() === contactReference!.toLowerCase())
        if (!contact) throw new AppError('not_found', `${customer.name} has no contact ${contactReference}`)
        await services.customers.removeContact(actor, customer.id, contact.id)
        return { data: { removed: contact.id }, human: `removed ${contact.name} <${contact.email}> from ${customer.name}` }
      }),
    )
}

/** "Name <email>" or "Name <email> role". */
export function parseContact(text: string): { name: string; email: string; role: string } {
  const match = /^\s*(.+?)\s*<([^<>\s]+)>\s*([a-z]+)?\s*$/.exec(text)
  if (!match) throw new AppError('invalid', `--contact "${text}": expected "Name <email>" or "Name <email> role"`, { problems: [{ field: '--contact', message: 'malformed' }] })
  return { name: match[1]!, email: match[2]!, role: match[3] ?? 'primary' }
}

function describe(door: CliDoor, customer: CustomerWithContacts): string {
  return [
    door.fields([
      ['id', customer.id],
      ['name', customer.name],
      ['kind', customer.kind],
      ['partner', customer.parentId],
      ['external ref', customer.externalRef],
      ['account owner', customer.accountOwnerId],
      ['notes', customer.notes],
      ['created', customer.createdAt],
      ['archived', customer.archivedAt],
    ]),
    '',
    'contacts:',
    door.table<Contact>(customer.contacts, [
      ['name', (c) => c.name],
      ['email', (c) => c.email],
      ['role', (c) => c.role],
      ['phone', (c) => c.phone],
      ['id', (c) => c.id],
    ]),
  ].join('\n')
}
