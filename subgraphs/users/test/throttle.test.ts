import { admit, clientBucket, UNKNOWN_ADDRESS, type ThrottlePolicy } from '../src/throttle';

const policy: ThrottlePolicy = {
  maxFailures: 5,
  addressMaxFailures: 50,
  windowSeconds: 3600,
  delaySeconds: 30,
  maxDelaySeconds: 900,
};
const now = new Date('2026-01-01T12:00:00Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000);

describe('admit', () => {
  it('admits the first attempts of a bucket and counts them', () => {
    expect(admit({ failures: 0, lastFailureAt: null }, 5, policy, now)).toEqual({
      admitted: true,
      failures: 1,
    });
    expect(admit({ failures: 4, lastFailureAt: ago(0) }, 5, policy, now)).toEqual({
      admitted: true,
      failures: 5,
    });
  });

  it('makes the attempt after the limit wait the delay, doubling per failure up to the maximum', () => {
    const waits = [5, 6, 7, 8, 9, 10, 11, 20].map((failures) => {
      const result = admit({ failures, lastFailureAt: ago(0) }, 5, policy, now);
      return result.admitted ? 0 : result.waitSeconds;
    });
    expect(waits).toEqual([30, 60, 120, 240, 480, 900, 900, 900]);
  });

  it('counts the wait from the last failure and admits once it has passed', () => {
    expect(admit({ failures: 5, lastFailureAt: ago(10) }, 5, policy, now)).toEqual({
      admitted: false,
      waitSeconds: 20,
    });
    expect(admit({ failures: 5, lastFailureAt: ago(30) }, 5, policy, now)).toEqual({
      admitted: true,
      failures: 6,
    });
    expect(admit({ failures: 6, lastFailureAt: ago(59) }, 5, policy, now)).toMatchObject({ admitted: false });
  });

  it('forgets a bucket whose last failure is older than the window', () => {
    expect(admit({ failures: 40, lastFailureAt: ago(3600) }, 5, policy, now)).toEqual({
      admitted: true,
      failures: 1,
    });
    expect(admit({ failures: 40, lastFailureAt: ago(3599) }, 5, policy, now)).toMatchObject({
      admitted: true,
    });
    expect(admit({ failures: 40, lastFailureAt: ago(899) }, 5, policy, now)).toMatchObject({
      admitted: false,
    });
  });
});

describe('clientBucket', () => {
  it.each<[string | string[] | undefined, string]>([
    ['203.0.113.7', '203.0.113.7'],
    [' 203.0.113.7 ', '203.0.113.7'],
    [['198.51.100.1', '203.0.113.7'], '198.51.100.1'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::FFFF:CB00:7107', '203.0.113.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:DB8:1:2::ffff', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    [undefined, UNKNOWN_ADDRESS],
    ['', UNKNOWN_ADDRESS],
    ['unknown', UNKNOWN_ADDRESS],
    ['203.0.113.7, 10.0.0.1', UNKNOWN_ADDRESS],
    ['1.2.3', UNKNOWN_ADDRESS],
    ['x'.repeat(100), UNKNOWN_ADDRESS],
  ])('puts %j in the bucket %j', (header, bucket) => {
    expect(clientBucket(header)).toBe(bucket);
  });
});
