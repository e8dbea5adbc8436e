export * from './notification-model';
export {
  createNotifications,
  toDestinationView,
  NOTIFICATION_DELIVERY_TASK,
} from './notifications';
export type {
  DestinationTestResult,
  DestinationView,
  NotificationPage,
  Notifications,
  NotificationsPorts,
  NotificationView,
} from './notifications';
export { DEFAULT_DELIVERY_POLICY, sendNotification } from './outbox';
export type { DeliveryPolicy, SendResult } from './outbox';
export { asciiHeaderValue, buildDeliveryRequest, webhookPayload } from './delivery-requests';
export type { DeliveryRequest, WebhookPayload } from './delivery-requests';
export {
  describeDestinationUrl,
  parseDestinationUrl,
  validateDestinationInput,
} from './destination-input';
export {
  jobSubject,
  keyInvalidNotification,
  maintenanceNotification,
  notificationForJobEvent,
} from './notification-inputs';
export type { KeyInvalidReport, MaintenanceReport as MaintenanceNotificationReport } from './notification-inputs';
