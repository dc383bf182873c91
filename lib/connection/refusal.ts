/**
 * Which CONNACK refusals are worth retrying. Retrying a bad password or a banned client id only
 * hammers the broker (a reconnect storm), so those stop the reconnect loop.
 */

/** 3.1.1 return codes and 5.0 reason codes that no retry can fix. */
const FATAL_CONNACK_CODES = new Set([
  1, // 3.1.1 unacceptable protocol version
  2, // 3.1.1 identifier rejected
  4, // 3.1.1 bad user name or password
  5, // 3.1.1 not authorized
  0x84, // unsupported protocol version
  0x85, // client identifier not valid
  0x86, // bad user name or password
  0x87, // not authorized
  0x8a, // banned
  0x8c, // bad authentication method
]);

export function isRetryableConnack(code: number): boolean {
  return !FATAL_CONNACK_CODES.has(code);
}
