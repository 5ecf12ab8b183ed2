// testEnvironment for solid-crud-tests under jest 26 on Node >= 20 (see jest.config.cjs): jest 26's "node"
// environment predates Node 18 and leaves out the WHATWG globals that undici (jsonld 9 <- rdflib 2.4.0) evaluates
// at load time (ReadableStream, AbortSignal, ...). Without them rdflib's JSON-LD parser fails to load and the
// suite sees zero triples. This copies the missing ones from the Node realm running jest; nothing else changes.
const NodeEnvironment = require("jest-environment-node");

const NAMES = [
  "AbortController", "AbortSignal", "Event", "EventTarget", "MessageChannel", "MessageEvent", "MessagePort",
  "BroadcastChannel", "ReadableStream", "ReadableStreamDefaultReader", "ReadableStreamBYOBReader",
  "ReadableStreamBYOBRequest", "ReadableByteStreamController", "ReadableStreamDefaultController",
  "WritableStream", "WritableStreamDefaultWriter", "WritableStreamDefaultController", "TransformStream",
  "TransformStreamDefaultController", "ByteLengthQueuingStrategy", "CountQueuingStrategy",
  "TextEncoder", "TextDecoder", "TextEncoderStream", "TextDecoderStream", "CompressionStream",
  "DecompressionStream", "Blob", "File", "DOMException", "structuredClone", "atob", "btoa", "performance",
];
// Deliberately NOT copied: fetch/Headers/Request/Response/FormData (the suite must keep using node-fetch through
// cross-fetch and solid-auth-fetcher, as upstream) and crypto.

class KommonNodeEnvironment extends NodeEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of NAMES) {
      if (typeof this.global[name] === "undefined" && typeof globalThis[name] !== "undefined") {
        this.global[name] = globalThis[name];
      }
    }
  }
}

module.exports = KommonNodeEnvironment;
