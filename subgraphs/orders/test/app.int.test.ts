import { bootOrders } from './helpers';

describe('the orders app', () => {
  it('stops what it started, and may be stopped twice (a second call waits for the first)', async () => {
    const h = await bootOrders({ runExpiry: false });
    const base = h.url.replace(/\/graphql$/, '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    await Promise.all([h.app.stop(), h.app.stop()]);
    await h.app.stop();
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    expect(h.app.nc.isClosed()).toBe(true);
    await h.stop();
  });
});
