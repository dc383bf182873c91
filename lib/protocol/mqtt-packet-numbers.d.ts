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

/**
 * mqtt-packet's parser and stream writer, imported one by one (parser.js, writeToStream.js) so the
 * browser bundles leave out what rxmqtt does not call (its `generate`).
 */
declare module 'mqtt-packet/parser.js' {
  import type { Parser } from 'mqtt-packet';
  const ParserClass: { parser(options?: { protocolVersion?: number }): Parser };
  export default ParserClass;
}
declare module 'mqtt-packet/writeToStream.js' {
  import type { Packet } from 'mqtt-packet';
  const writeToStream: {
    (packet: Packet, stream: NodeJS.WritableStream, options?: object): boolean;
    /** Whether 2-byte numbers come from a pre-generated table (MQTT.js's `writeCache`). @default true */
    cacheNumbers: boolean;
  };
  export default writeToStream;
}
/** mqtt-packet's packet class (packet.js): the object its parser fills, for the PUBLISH fast path to fill alike. */
declare module 'mqtt-packet/packet.js' {
  const Packet: new () => object;
  export default Packet;
}
