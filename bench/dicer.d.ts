// Minimal typings for dicer 0.3 (a devDependency: the differential tests' and
// benchmarks' reference parser). Only what they use.
declare module 'dicer' {
  import { Writable, Readable } from 'node:stream';

  interface DicerConfig {
    boundary: string;
    headerFirst?: boolean;
    maxHeaderPairs?: number;
    partHwm?: number;
  }

  class PartStream extends Readable {
    on(event: 'header', listener: (header: Record<string, string[]>) => void): this;
    on(event: 'data', listener: (data: Buffer) => void): this;
    on(event: 'end' | 'close', listener: () => void): this;
    on(event: 'error', listener: (error: Error) => void): this;
    on(event: string | symbol, listener: (...args: any[]) => void): this;
  }

  class Dicer extends Writable {
    constructor(config: DicerConfig);
    setBoundary(boundary: string): void;
    on(event: 'part' | 'preamble', listener: (part: PartStream) => void): this;
    on(event: 'finish' | 'close', listener: () => void): this;
    on(event: 'error', listener: (error: Error) => void): this;
    on(event: string | symbol, listener: (...args: any[]) => void): this;
  }

  export = Dicer;
}
