import { ContactReply, request, type NatsConnection } from '@shop/messaging';

export interface Contact {
  name: string;
  email: string;
  phone: string | null;
}

/** Looks up a customer's contact details; throws when it cannot (the event is retried later). */
export type ContactLookup = (userId: string) => Promise<Contact>;

/** users.contact over NATS request-reply. No answer in time is a ServiceUnavailableError. */
export function natsContactLookup(nc: NatsConnection, subject: string, timeoutMs: number): ContactLookup {
  return async (userId) => {
    const reply = await request(nc, subject, { userId }, ContactReply, timeoutMs);
    if (!reply.ok) throw new Error(`users.contact refused user ${userId}: ${reply.code}: ${reply.message}`);
    return { name: reply.name, email: reply.email, phone: reply.phone };
  };
}
