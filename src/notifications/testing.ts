import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { simpleParser, type ParsedMail } from 'mailparser'
import { SMTPServer } from 'smtp-server'
import type { Notification, OutboundMessage } from './model.js'

/**
 * Receivers for the notifications tests: a real SMTP server and a real HTTP server, both on
 * 127.0.0.1 and started by the test, so delivery runs over real sockets end to end.
 */

export interface SmtpSink {
  /** smtp://127.0.0.1:<port> */
  url: string
  messages: ParsedMail[]
  /** Every RCPT TO the server was given, refused ones included. */
  recipients: string[]
  close(): Promise<void>
}

export interface SmtpSinkOptions {
  /** Refuse a recipient with this SMTP code (550: no such mailbox; 450: try later). */
  refuse?: (address: string) => number | undefined
  /** Wait this long before accepting each message. */
  delayMs?: number
}

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: ParsedMail[] = []
  const recipients: string[] = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      recipients.push(address.address)
      const code = options.refuse?.(address.address)
      if (code === undefined) return callback()
      const refusal = Object.assign(new Error(`${address.address}: refused by the test sink`), { responseCode: code })
      return callback(refusal)
    },
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then(async (mail) => {
          if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs))
          messages.push(mail)
          callback(null, 'queued by the test sink')
        })
        .catch((error: unknown) => callback(error as Error))
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.server.address() as AddressInfo
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    recipients,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

export interface ReceivedRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: string
}

export interface WebhookReceiver {
  /** http://127.0.0.1:<port> (add any path). */
  url: string
  requests: ReceivedRequest[]
  close(): Promise<void>
}

export type WebhookAnswer = { status: number; body?: string; headers?: Record<string, string> } | 'hang'

export async function startWebhookReceiver(answer: (request: ReceivedRequest) => WebhookAnswer | Promise<WebhookAnswer> = () => ({ status: 200, body: 'ok' })): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = []
  const hanging = new Set<ServerResponse>()
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const received: ReceivedRequest = { method: request.method ?? '', path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') }
      requests.push(received)
      void Promise.resolve(answer(received)).then((reply) => {
        if (reply === 'hang') {
          hanging.add(response)
          return
        }
        response.writeHead(reply.status, reply.headers ?? {})
        response.end(reply.body ?? '')
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const response of hanging) response.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

let counter = 0

/** A message to an email address, with a fresh idempotency key; `overrides` change any field. */
export function aMessage(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  counter += 1
  return {
    idempotencyKey: `test:${process.pid}:${counter}:${Date.now()}`,
    to: { email: 'soc@example.net', name: 'SOC Desk' },
    subject: `Test subject ${counter}`,
    text: 'Something happened.',
    ...overrides,
  }
}

/** The parts of a notification a test usually compares. */
export function summary(message: Notification): Pick<Notification, 'status' | 'attempts' | 'lastError'> {
  return { status: message.status, attempts: message.attempts, lastError: message.lastError }
}
