/** mqtt-packet's number encodings (numbers.js, CommonJS, untyped): the 2-byte table and its generator. */
declare module 'mqtt-packet/numbers.js' {
  const numbers: {
    /** 0..65535 -> 2 bytes, big-endian; filled by mqtt-packet on its first encode. */
    readonly cache: Record<number, Buffer | undefined>;
    generateNumber(n: number): Buffer;
  };
  export default numbers;
}

/** mqtt-packet's protocol constants (constants.js, CommonJS, untyped): the parts rxmqtt reads. */
declare module 'mqtt-packet/constants.js' {
  const constants: {
    /** Each MQTT 5 property's data type (2.2.2.2, Table 2-4), by its name in decoded packets. */
    readonly propertiesTypes: Readonly<Record<string, 'byte' | 'int8' | 'int16' | 'int32' | 'var' | 'string' | 'binary' | 'pair'>>;
  };
  export default constants;
}
