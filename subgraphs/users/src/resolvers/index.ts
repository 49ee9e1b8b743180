import { DateTimeScalar, referenceId } from '@shop/graphql';
import type { Resolvers } from '../__generated__/resolvers-types';
import type { Context } from '../context';
import type { AuthPayload, UsersService } from '../users.service';

function signedIn<T extends { __typename: string }>(ctx: Context, result: T): T {
  if (result.__typename === 'AuthPayload') ctx.signedIn.add((result as T & AuthPayload).user.id);
  return result;
}

/** Thin: GraphQL in, service call, GraphQL out. The service decides per field who sees email and phone. */
export function createResolvers(service: UsersService): Resolvers {
  const seesContact = (ctx: Context, userId: string) =>
    service.canSeeContact(ctx.viewer, userId, ctx.signedIn);
  return {
    DateTime: DateTimeScalar,
    Query: {
      me: (_parent, _args, ctx) => (ctx.viewer ? ctx.loaders.userById.load(ctx.viewer.id) : null),
      countries: () => [...service.countries()],
      customers: (_parent, { search, first, after }, ctx) =>
        service.customers(ctx.viewer, search, first, after),
    },
    Mutation: {
      register: async (_parent, { input }, ctx) => signedIn(ctx, await service.register(input)),
      login: async (_parent, { input }, ctx) =>
        signedIn(ctx, await service.login(input, { clientAddress: ctx.clientAddress })),
      refreshSession: async (_parent, { refreshToken }, ctx) =>
        signedIn(ctx, await service.refreshSession(refreshToken)),
      logout: (_parent, { refreshToken }) => service.logout(refreshToken),
      logoutEverywhere: (_parent, _args, ctx) => service.logoutEverywhere(ctx.viewer),
      changePassword: (_parent, { currentPassword, newPassword }, ctx) =>
        service.changePassword(
          ctx.viewer,
          { currentPassword, newPassword },
          { clientAddress: ctx.clientAddress },
        ),
      requestPasswordReset: (_parent, { email }, ctx) =>
        service.requestPasswordReset(email, { clientAddress: ctx.clientAddress }),
      resetPassword: (_parent, { token, newPassword }) => service.resetPassword(token, newPassword),
      updateProfile: (_parent, { input }, ctx) => service.updateProfile(ctx.viewer, input),
      createAddress: (_parent, { input, makeDefault }, ctx) =>
        service.createAddress(ctx.viewer, input, makeDefault),
      updateAddress: (_parent, { id, input }, ctx) => service.updateAddress(ctx.viewer, id, input),
      deleteAddress: (_parent, { id }, ctx) => service.deleteAddress(ctx.viewer, id),
      setDefaultShippingAddress: (_parent, { id }, ctx) => service.setDefaultShippingAddress(ctx.viewer, id),
    },
    User: {
      // Through the per-request DataLoader: a batch of references is one SQL query. A representation
      // whose id is not a string is null, never a loader key (one bad key would fail the batch).
      __resolveReference: (reference, ctx) => {
        const id = referenceId(reference);
        return id === null ? null : ctx.loaders.userById.load(id);
      },
      email: (user, _args, ctx) => (seesContact(ctx, user.id) ? user.email : null),
      phone: (user, _args, ctx) => (seesContact(ctx, user.id) ? user.phone : null),
      addresses: (user, { first, after }, ctx) => service.addresses(ctx.viewer, user.id, first, after),
      defaultShippingAddress: (user, _args, ctx) => ctx.loaders.defaultAddressByUserId.load(user.id),
    },
    Country: {
      regions: (country) => [...(country.regions ?? [])],
    },
  };
}
