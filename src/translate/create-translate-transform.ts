/**
 * @module translate/create-translate-transform
 * A Node Transform around a stream translator: upstream bytes in, translated SSE text out as each event
 * completes (nothing buffered beyond a partial event).
 */
import { Transform } from "node:stream";
import type { StreamTranslator } from "./stream-translator.ts";

export function createTranslateTransform(translator: StreamTranslator): Transform {
  return new Transform({
    transform(chunk: Buffer | string, _encoding, done) {
      let out: string[];
      try {
        out = translator.push(chunk);
      } catch (error) {
        done(error as Error);
        return;
      }
      if (out.length > 0) this.push(out.join(""));
      done();
    },
    flush(done) {
      let out: string[];
      try {
        out = translator.end();
      } catch (error) {
        done(error as Error);
        return;
      }
      if (out.length > 0) this.push(out.join(""));
      done();
    },
  });
}
