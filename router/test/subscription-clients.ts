import { createClient, type Client, type ClientOptions } from 'graphql-ws';
import WebSocket from 'ws';

/** What a test saw of one subscription. */
export interface Watched {
  results: { data?: unknown; errors?: unknown[] }[];
  /** The error that ended it (graphql-ws `error`: GraphQL errors or a close event). */
  error: unknown;
  completed: boolean;
  /** Resolves when it ends (complete or error). */
  ended: Promise<void>;
  stop(): void;
}

/** A graphql-ws client on the `ws` package (no retries unless asked). */
export function wsClient(url: string, options: Partial<ClientOptions> = {}): Client {
  return createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, ...options });
}

/** Subscribes and records everything that arrives. */
export function watch(client: Client, query: string, variables: Record<string, unknown> = {}): Watched {
  let done!: () => void;
  const watched: Watched = {
    results: [],
    error: undefined,
    completed: false,
    ended: new Promise<void>((resolve) => (done = resolve)),
    stop: () => undefined,
  };
  watched.stop = client.subscribe(
    { query, variables },
    {
      next: (value) => void watched.results.push(value as Watched['results'][number]),
      error: (error) => {
        watched.error = error;
        done();
      },
      complete: () => {
        watched.completed = true;
        done();
      },
    },
  );
  return watched;
}

/** The `code` of the first GraphQL error of a graphql-ws error (an array of errors). */
export const codeOf = (error: unknown): unknown =>
  Array.isArray(error) ? (error[0] as { extensions?: { code?: unknown } })?.extensions?.code : undefined;

/** One multipart subscription read raw: the parts as parsed JSON, and whether the final boundary came. */
export interface MultipartRead {
  status: number;
  contentType: string | null;
  parts: unknown[];
  finalBoundary: boolean;
  /** Resolves when the response ends. */
  ended: Promise<void>;
  abort(): void;
}

export function multipart(
  url: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<MultipartRead> {
  const controller = new AbortController();
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'multipart/mixed;subscriptionSpec="1.0",application/json',
      ...headers,
    },
    body: JSON.stringify(body),
    signal: controller.signal,
  }).then((res) => {
    const read: MultipartRead = {
      status: res.status,
      contentType: res.headers.get('content-type'),
      parts: [],
      finalBoundary: false,
      ended: Promise.resolve(),
      abort: () => controller.abort(),
    };
    read.ended = (async () => {
      if (!read.contentType?.startsWith('multipart/mixed')) {
        read.parts.push(await res.json());
        return;
      }
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          let at: number;
          while ((at = buffer.indexOf('\r\n--graphql', 1)) > -1 || buffer.startsWith('\r\n--graphql--')) {
            if (buffer.startsWith('\r\n--graphql--')) {
              read.finalBoundary = true;
              buffer = '';
              break;
            }
            const part = buffer.slice(0, at);
            buffer = buffer.slice(at);
            const json = part.slice(part.indexOf('\r\n\r\n') + 4);
            if (json.trim()) read.parts.push(JSON.parse(json));
          }
        }
      } catch {
        // aborted
      }
    })();
    return read;
  });
}
