/** mqtt-packet's number encodings (numbers.js, CommonJS, untyped): the 2-byte table and its generator. */
declare module 'mqtt-packet/numbers.js' {
  const numbers: {
    /** 0..65535 -> 2 bytes, big-endian; filled by mqtt-packet on its first encode. */
    readonly cache: Record<number, Buffer | undefined>;
    generateNumber(n: number): Buffer;
  };
  export default numbers;
}
