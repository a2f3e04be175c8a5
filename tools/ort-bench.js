// ort-bench.js: a long-lived ONNX Runtime (CPU, onnxruntime-node) worker for
// tools/bench-vs-ort. It loads one model once, then answers JSON-line requests
// on stdin with one JSON line each on stdout, so model load never sits inside a
// timed loop and the benchmark can alternate ORT and densenet blocks.
//
//   ORT_NODE=/path/to/node_modules/onnxruntime-node node ort-bench.js MODEL.onnx THREADS
//
// Requests (one JSON object per line):
//   {"op": "run", "input": "x.f32", "dims": [1,3,224,224], "iters": K,
//    "warmup": W, "output": "y.f32"}
//       W untimed runs, then K timed runs; "output" (optional) receives the
//       first output of the last run as raw little-endian float32.
//       Reply: {"ok": true, "times_ms": [...]}  (one per timed run, in order)
//   {"op": "quit"}
// The first line printed, before any request is read, is
//   {"ok": true, "load_ms": ..., "ort": VERSION, "input": NAME, "output": NAME}
// Any failure prints {"ok": false, "error": ...} and, at load, exits 1.
// Invariant: one session per process, intra-op threads = THREADS, inter-op 1,
// sequential execution, all graph optimizations (ORT's defaults otherwise).
'use strict';
const fs = require('fs');
const path = require('path');
const readline = require('readline');

const ortPath = process.env.ORT_NODE || 'onnxruntime-node';
const ort = require(ortPath);

function say(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function ortVersion() {
  try {
    return require(path.join(ortPath, 'package.json')).version;
  } catch (e) {
    return (ort.env && ort.env.versions && ort.env.versions.node) || 'unknown';
  }
}

function readF32(file) {
  const b = fs.readFileSync(file);
  // copy so the array is aligned and owns its buffer
  const a = new Float32Array(b.length / 4);
  Buffer.from(a.buffer).set(b);
  return a;
}

function ms(t0) {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function main() {
  const [model, threads] = process.argv.slice(2);
  if (!model || !(+threads >= 1)) {
    say({ok: false, error: 'usage: ort-bench.js MODEL.onnx THREADS'});
    process.exit(2);
  }
  let session;
  const t0 = process.hrtime.bigint();
  try {
    session = await ort.InferenceSession.create(model, {
      intraOpNumThreads: +threads, interOpNumThreads: 1,
      executionMode: 'sequential', graphOptimizationLevel: 'all', logSeverityLevel: 3,
    });
  } catch (e) {
    say({ok: false, error: 'load: ' + e.message});
    process.exit(1);
  }
  const loadMs = ms(t0);
  const inName = session.inputNames[0], outName = session.outputNames[0];
  say({ok: true, load_ms: loadMs, ort: ortVersion(), input: inName, output: outName});

  const cache = {};  // input file -> Float32Array
  const rl = readline.createInterface({input: process.stdin, terminal: false});
  for await (const line of rl) {
    if (!line.trim()) continue;
    let req;
    try {
      req = JSON.parse(line);
    } catch (e) {
      say({ok: false, error: 'bad request: ' + e.message});
      continue;
    }
    if (req.op === 'quit') break;
    if (req.op !== 'run') {
      say({ok: false, error: 'unknown op ' + req.op});
      continue;
    }
    try {
      if (!cache[req.input]) cache[req.input] = readF32(req.input);
      const feeds = {};
      feeds[inName] = new ort.Tensor('float32', cache[req.input], req.dims);
      let out = null;
      for (let i = 0; i < (req.warmup || 0); i++) out = await session.run(feeds);
      const times = [];
      for (let i = 0; i < (req.iters || 0); i++) {
        const a = process.hrtime.bigint();
        out = await session.run(feeds);
        times.push(ms(a));
      }
      if (req.output) {
        if (!out) out = await session.run(feeds);
        const y = out[outName].data;
        fs.writeFileSync(req.output, Buffer.from(y.buffer, y.byteOffset, y.byteLength));
      }
      say({ok: true, times_ms: times});
    } catch (e) {
      say({ok: false, error: e.message});
    }
  }
  process.exit(0);
}

main();
