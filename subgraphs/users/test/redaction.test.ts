import { createLogger } from '@shop/server';
import { memoryLog } from '@shop/testing';

/** The second line of defence: the shared logger redacts the secrets of sessions and resets. */
describe('log redaction of session secrets', () => {
  it('redacts refreshToken, resetToken, resetUrl and token, at the top and one level down', () => {
    const log = memoryLog();
    const logger = createLogger({ name: 'redaction', level: 'info' }, log.stream);
    const secret = 'a-secret-value-that-must-not-appear';
    logger.info(
      {
        refreshToken: secret,
        resetToken: secret,
        resetUrl: `https://shop.example/reset?token=${secret}`,
        token: secret,
        payload: { refreshToken: secret, resetToken: secret, resetUrl: secret, token: secret },
      },
      'redaction probe',
    );
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).not.toContain(secret);
    expect(JSON.parse(log.lines[0]!)).toMatchObject({
      refreshToken: '[redacted]',
      resetToken: '[redacted]',
      resetUrl: '[redacted]',
      payload: { refreshToken: '[redacted]', resetUrl: '[redacted]' },
    });
  });
});
