export { configSchema, type Config } from './config';
export { createApp, type NotificationsApp, type AppOverrides } from './app';
export type { SmsProvider, SmsMessage, EmailSender, EmailMessage } from './channels';
