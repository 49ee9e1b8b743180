/**
 * Email through `nodemailer` (the notifications subgraph's client) to Mailpit's SMTP server, read back
 * from Mailpit's HTTP API. Each run sends to its own address and deletes its mail afterwards.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { endpointFields, loadConfig, z } from '@shop/config';
import nodemailer from 'nodemailer';

const { SMTP_URL, MAILPIT_API_URL } = loadConfig(
  z.object({ SMTP_URL: endpointFields.SMTP_URL, MAILPIT_API_URL: endpointFields.MAILPIT_API_URL }),
);
const to = `customer-${randomBytes(4).toString('hex')}@example.test`;
const sent: string[] = [];

interface MailpitSummary {
  ID: string;
}

interface MailpitMessage {
  ID: string;
  Subject: string;
  Text: string;
  To: { Address: string }[];
}

async function mailpit(path: string, init?: RequestInit): Promise<Response> {
  const base = MAILPIT_API_URL.endsWith('/') ? MAILPIT_API_URL : `${MAILPIT_API_URL}/`;
  const response = await fetch(new URL(path, base), init);
  if (!response.ok) throw new Error(`Mailpit ${path}: HTTP ${response.status}`);
  return response;
}

async function mailpitJson<T>(path: string): Promise<T> {
  return (await (await mailpit(path)).json()) as T;
}

/** Mail is stored right after the SMTP transaction; poll briefly in case the index lags. */
async function findMailTo(address: string): Promise<MailpitSummary[]> {
  const query = encodeURIComponent(`to:${address}`);
  for (let attempt = 0; attempt < 20; attempt++) {
    const { messages } = await mailpitJson<{ messages: MailpitSummary[] }>(`api/v1/search?query=${query}`);
    if (messages.length > 0) return messages;
    await sleep(100);
  }
  return [];
}

afterAll(async () => {
  if (sent.length > 0) {
    await mailpit('api/v1/messages', {
      method: 'DELETE',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ IDs: sent }),
    });
  }
});

test('a mail sent over SMTP is read back from the Mailpit API', async () => {
  const transport = nodemailer.createTransport(SMTP_URL);
  try {
    await transport.sendMail({
      from: 'Shop <orders@shop.example>',
      to,
      subject: 'Your order #1001 is paid',
      text: 'Thank you! We received 45.99 EUR for order #1001.',
    });
  } finally {
    transport.close();
  }

  const found = await findMailTo(to);
  sent.push(...found.map((message) => message.ID));
  expect(found).toHaveLength(1);

  const message = await mailpitJson<MailpitMessage>(`api/v1/message/${found[0]?.ID}`);
  expect(message.Subject).toBe('Your order #1001 is paid');
  expect(message.Text.trim()).toBe('Thank you! We received 45.99 EUR for order #1001.');
  expect(message.To.map((recipient) => recipient.Address)).toEqual([to]);
});
