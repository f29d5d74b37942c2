// oodgpu's worker: app.wasm run off the page's thread, where the models run (on WebGPU or the
// CPU), so that scoring never freezes the page. The page's first message names Go's
// wasm_exec.js and app.wasm; app.wasm finds no document here and serves the page's requests
// (app.ServeWorker). Requests that arrive while it loads wait in self.oodgpuPending, which it
// reads first.
"use strict";

self.oodgpuPending = [];

self.onmessage = (event) => {
  const start = event.data && event.data.start;
  if (!start) {
    self.oodgpuPending.push(event.data);
    return;
  }
  self.onmessage = (e) => self.oodgpuPending.push(e.data);
  run(start).catch((err) => self.postMessage({ error: "starting app.wasm in the worker: " + err }));
};

async function run(start) {
  importScripts(start.wasmExec);
  const go = new Go();
  const { instance } = await WebAssembly.instantiateStreaming(fetch(start.wasm), go.importObject);
  await go.run(instance);
  self.postMessage({ error: "app.wasm stopped in the worker" });
}
