// Notifications: the outbox (messages written in the transaction of the change that causes them),
// the delivery job that sends them (email over SMTP, signed webhooks with Slack and Teams presets)
// with backoff, a dead state and a delivery log, and the named channels they go to. It does not
// decide who is told what or when: incidents and alerting call enqueue inside their transactions.
export { createNotifications, type Notifications, type NotificationsDeps } from './service.js'
export { deliveryAttempts, deliveryJobType } from './delivery.js'
export {
  attemptOutcomes,
  channelKinds,
  messageIdFor,
  notificationStatuses,
  webhookPresets,
  type AttemptOutcome,
  type Channel,
  type ChannelKind,
  type ChannelWithSecret,
  type DeliveryAttempt,
  type Notification,
  type NotificationListQuery,
  type NotificationStatus,
  type NotificationWithLog,
  type OutboundMessage,
  type WebhookPreset,
} from './model.js'
export {
  defaultToleranceSeconds,
  idempotencyHeader,
  signatureHeader,
  signWebhook,
  timestampHeader,
  verifyWebhookSignature,
  type SignatureFailure,
  type WebhookVerifyInput,
} from './signature.js'
export { notificationRoutes } from './routes.js'
