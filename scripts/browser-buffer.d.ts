/** The browser bundles' Buffer (see browser-buffer.js): Node's Buffer API, typed as Node's. */
export declare const Buffer: BufferConstructor;
export declare const kMaxLength: number;
export declare const INSPECT_MAX_BYTES: number;
