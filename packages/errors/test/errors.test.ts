import { GraphQLError } from 'graphql';
import { badUserInput, maskError } from '../src';

describe('maskError', () => {
  it('masks an unknown error with the request id and drops its message', () => {
    const out = maskError(
      new GraphQLError('connect ECONNREFUSED 10.0.0.5:5432 SELECT * FROM users').toJSON(),
      'req-1',
    );
    expect(out.message).toBe('Internal server error');
    expect(out.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', requestId: 'req-1' });
  });

  it('keeps a public error and strips stack traces', () => {
    const error = badUserInput('email is malformed', 'email').toJSON();
    const out = maskError({ ...error, extensions: { ...error.extensions, stacktrace: ['at x'] } }, 'r');
    expect(out.message).toBe('email is malformed');
    expect(out.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'email', requestId: 'r' });
  });

  it('removes schema suggestions from validation errors', () => {
    const out = maskError(
      {
        message: 'Cannot query field "emial" on type "User". Did you mean "email"?',
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      },
      undefined,
    );
    expect(out.message).toBe('Cannot query field "emial" on type "User".');
  });
});
