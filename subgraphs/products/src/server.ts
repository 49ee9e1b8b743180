import Fastify, { type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import mercurius from 'mercurius';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { hasRouterSecret, ROUTER_SECRET_HEADER, viewerFromAuthorization, type Viewer } from '@shop/auth';
import { ErrorCode, errorResponse, isUnexpected, maskError } from '@shop/errors';
import {
  guardEntities,
  loadTypeDefs,
  requestContext,
  requestIdFrom,
  type GraphQLServer,
  type ServerDeps as SubgraphServerDeps,
} from '@shop/server';
import type { Context } from './context';
import { ImageStore } from './images';
import { createLoaders } from './loaders';
import type { ProductsService } from './products.service';
import { createResolvers } from './resolvers';

export interface ServerDeps extends SubgraphServerDeps<ProductsService> {
  /** Largest request body accepted, in bytes (default 2 MiB, so an oversized field gets a typed error). */
  bodyLimit?: number;
  /** The images served at /images/ (default: none). */
  images?: ImageStore;
}

const typeDefs = loadTypeDefs(import.meta.url);

declare module 'fastify' {
  interface FastifyRequest {
    viewer: Viewer | null;
  }
}

const GRAPHQL_PATH = '/graphql';

/** Gives mercurius's own errors (parse, validation, variables, HTTP) a code before masking. */
function withCode(error: GraphQLError, statusCode: number | undefined): GraphQLFormattedError {
  const formatted = error.toJSON();
  if (typeof formatted.extensions?.code === 'string') return formatted;
  const original = error.originalError as
    (Error & { code?: string; statusCode?: number; errors?: unknown }) | undefined;
  let code: string | undefined;
  if (error.message.startsWith('Syntax Error')) code = ErrorCode.GRAPHQL_PARSE_FAILED;
  else if (statusCode === 400 && !original) code = ErrorCode.GRAPHQL_VALIDATION_FAILED;
  else if (/^Variable "\$[^"]+" (got invalid value|of required type|of non-null type)/.test(error.message))
    code = ErrorCode.BAD_USER_INPUT;
  else if (original?.statusCode && original.statusCode >= 400 && original.statusCode < 500)
    code = ErrorCode.BAD_REQUEST;
  return code ? { ...formatted, extensions: { ...formatted.extensions, code } } : formatted;
}

/**
 * The products GraphQL server: Fastify + mercurius serving a Federation 2 schema built by
 * buildSubgraphSchema. Refuses /graphql requests without the router secret, masks unexpected errors
 * (logged in full with the request id), serves /healthz, /readyz and the catalogue's images
 * (/images/, images.ts). No side effects until listen.
 */
export function createServer(deps: ServerDeps): GraphQLServer {
  const schema = buildSubgraphSchema([
    { typeDefs, resolvers: createResolvers(deps.service) as GraphQLResolverMap<Context> },
  ]);
  guardEntities(schema); // _entities: a bad __typename is BAD_USER_INPUT before any resolver runs
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    bodyLimit: deps.bodyLimit ?? 2 * 1024 * 1024,
    genReqId: (req) => requestIdFrom(req.headers['x-request-id']),
  });
  app.decorateRequest('viewer', null);

  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  // Public (browsers load them directly): no router secret. The name only picks an in-memory file.
  const images = deps.images ?? new ImageStore();
  app.get<{ Params: { file: string } }>('/images/:file', async (request, reply) => {
    const ifNoneMatch = request.headers['if-none-match'];
    const answer = images.respond(
      request.params.file,
      typeof ifNoneMatch === 'string' ? ifNoneMatch : undefined,
    );
    void reply.code(answer.status).headers(answer.headers);
    if (answer.status === 404) return reply.type('text/plain; charset=utf-8').send('Not found');
    return reply.send(answer.body ?? null);
  });
  app.get('/readyz', async (_request, reply) => {
    const ok = deps.ready ? await deps.ready().catch(() => false) : true;
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not ready' });
  });

  const refuse = (reply: FastifyReply, status: number, message: string, code: ErrorCode, requestId: string) =>
    reply.code(status).send({ data: null, ...errorResponse(message, code, { requestId }) });

  // Router secret, then the caller's token: both settled before GraphQL runs.
  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.routeOptions.url !== GRAPHQL_PATH) return;
    if (!hasRouterSecret(request.headers[ROUTER_SECRET_HEADER], deps.routerSecret)) {
      return refuse(
        reply,
        403,
        'Forbidden: requests must come through the router',
        ErrorCode.FORBIDDEN,
        request.id,
      );
    }
    try {
      request.viewer = await viewerFromAuthorization(request.headers.authorization, deps.verifyToken);
    } catch (error) {
      if (error instanceof GraphQLError)
        return refuse(reply, 401, error.message, ErrorCode.UNAUTHENTICATED, request.id);
      throw error;
    }
  });
  // Everything below the handler sees the request id (logger mixin, error masking).
  app.addHook('preHandler', (request, _reply, done) => requestContext.run({ requestId: request.id }, done));

  void app.register(mercurius, {
    schema,
    path: GRAPHQL_PATH,
    graphiql: false,
    csrfPrevention: true,
    context: (request): Context => ({
      viewer: request.viewer,
      requestId: request.id,
      loaders: createLoaders(deps.service, request.viewer),
      log: deps.log.child({ requestId: request.id }),
    }),
    errorFormatter: (execution, ctx) => {
      const requestId = (ctx as unknown as { reply?: FastifyReply }).reply?.request.id;
      const statusCode = (execution as { statusCode?: number }).statusCode;
      const errors = execution.errors.flatMap((error) => {
        const original = error.originalError as { errors?: GraphQLError[]; statusCode?: number } | undefined;
        // mercurius wraps parse/validation failures in one error that lists them.
        const inner = Array.isArray(original?.errors) ? original.errors : [error];
        return inner.map((e) => {
          const gqlError =
            e instanceof GraphQLError
              ? e
              : new GraphQLError(String((e as Error).message), { originalError: e as Error });
          const formatted = withCode(gqlError, original?.statusCode ?? statusCode);
          if (isUnexpected(formatted))
            deps.log.error(
              { err: gqlError.originalError ?? gqlError, path: formatted.path, requestId },
              'unexpected error',
            );
          return maskError(formatted, requestId);
        });
      });
      const validationFailed = errors.some(
        (e) =>
          e.extensions?.code === ErrorCode.GRAPHQL_PARSE_FAILED ||
          e.extensions?.code === ErrorCode.GRAPHQL_VALIDATION_FAILED,
      );
      const original = execution.errors[0]?.originalError as { statusCode?: number } | undefined;
      const status = execution.data ? 200 : validationFailed ? 400 : (original?.statusCode ?? 200);
      return { statusCode: status >= 500 ? 500 : status, response: { data: execution.data ?? null, errors } };
    },
  });

  return {
    async listen(port: number, host = '127.0.0.1') {
      await app.listen({ port, host });
      const address = app.server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      return { url: `http://${host}:${bound}${GRAPHQL_PATH}`, port: bound };
    },
    close: () => app.close(),
  };
}
