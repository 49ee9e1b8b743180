import { canAccess } from '@shop/auth';
import { DateTimeScalar } from '@shop/graphql';
import type { Resolvers } from '../__generated__/resolvers-types';
import type { UsersService } from '../users.service';

/** Thin: GraphQL in, service call, GraphQL out. Privacy of email and phone is decided per field. */
export function createResolvers(service: UsersService): Resolvers {
  return {
    DateTime: DateTimeScalar,
    Query: {
      me: (_parent, _args, ctx) => (ctx.viewer ? ctx.loaders.userById.load(ctx.viewer.id) : null),
    },
    Mutation: {
      register: (_parent, { input }) => service.register(input),
      login: (_parent, { input }) => service.login(input),
      updateProfile: (_parent, { input }, ctx) => service.updateProfile(ctx.viewer, input),
    },
    User: {
      // Through the per-request DataLoader: a batch of references is one SQL query.
      __resolveReference: (reference, ctx) => ctx.loaders.userById.load(reference.id),
      email: (user, _args, ctx) => (canAccess(ctx.viewer, user.id) ? user.email : null),
      phone: (user, _args, ctx) => (canAccess(ctx.viewer, user.id) ? user.phone : null),
    },
  };
}
