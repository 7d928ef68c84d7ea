// ulid makes a command ID in the browser: a ULID (48-bit millisecond time
// and 80 random bits from crypto.getRandomValues, in Crockford's base 32),
// so that a command sent again after a dropped connection carries the same
// ID and the server records it once.

const B32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function ulid(now = Date.now()) {
  let time = '';
  for (let i = 0, t = now; i < 10; i++, t = Math.floor(t / 32)) time = B32[t % 32] + time;
  const rnd = crypto.getRandomValues(new Uint8Array(16));
  let r = '';
  for (let i = 0; i < 16; i++) r += B32[rnd[i] % 32];
  return time + r;
}
