import {
  BodyTooLargeError,
  createSubgraphServer,
  loadTypeDefs,
  readRawBody,
  sendJson,
  type GraphQLServer,
  type Route,
  type ServerDeps as SubgraphServerDeps,
} from '@shop/server';
import type { Context } from './context';
import { createLoaders } from './loaders';
import type { PaymentsService } from './payments.service';
import { createResolvers } from './resolvers';

const typeDefs = loadTypeDefs(import.meta.url);

/** The path the provider posts its events to (the PSP's WEBHOOK_URL, Stripe's endpoint). */
export const WEBHOOK_PATH = '/webhooks/provider';
/** Largest webhook body accepted: a provider event is a few KiB. */
export const MAX_WEBHOOK_BYTES = 64 * 1024;

export type ServerDeps = SubgraphServerDeps<PaymentsService>;

/**
 * `POST /webhooks/provider`: the provider's events. No router secret (the provider calls it
 * directly) and no viewer: the signature over the raw body is the authentication (the service
 * verifies it). Over 64 KiB is 413, unread.
 */
function webhookRoute(service: PaymentsService): Route {
  return async ({ req, res }) => {
    let raw: Buffer;
    try {
      raw = await readRawBody(req, MAX_WEBHOOK_BYTES);
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error;
      return sendJson(res, 413, { error: { type: 'too_large', message: 'Request body too large' } });
    }
    const answer = await service.receiveWebhook(raw, req.headers);
    sendJson(res, answer.status, answer.body);
  };
}

/** The GraphQL HTTP server of the payments subgraph, and its webhook route. No side effects until listen(). */
export function createServer(deps: ServerDeps): Promise<GraphQLServer> {
  return createSubgraphServer<Context>({
    ...deps,
    typeDefs,
    resolvers: createResolvers(deps.service),
    routes: { [`POST ${WEBHOOK_PATH}`]: webhookRoute(deps.service) },
    context: (base) => ({ ...base, loaders: createLoaders(deps.service, base.viewer) }),
  });
}
