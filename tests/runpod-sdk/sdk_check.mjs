// Drives the RunPod emulator with RunPod's own JavaScript SDK (runpod-sdk, pinned in
// package-lock.json): run, status, stream, cancel, health, purge-queue. Exits non-zero on any
// mismatch; prints "SDK OK" at the end.
import runpodSdk from "runpod-sdk";
import assert from "node:assert/strict";

const base = process.env.EMU_BASE;
const sdk = runpodSdk(process.env.EMU_KEY, { baseUrl: base });
const endpoint = sdk.endpoint(process.env.EMU_ENDPOINT);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const started = await endpoint.run({ input: { job_id: "sdk-1", data: ["x"] } });
assert.equal(started.status, "IN_QUEUE", JSON.stringify(started));
assert.ok(started.id);

let st = await endpoint.status(started.id);
assert.ok(["IN_QUEUE", "IN_PROGRESS"].includes(st.status), JSON.stringify(st));

const chunks = [];
for await (const chunk of endpoint.stream(started.id, 20000)) chunks.push(chunk.output);
assert.deepEqual(chunks, ["s1", "s2"]);

for (let i = 0; i < 50 && !st.completed; i++) {
  await sleep(100);
  st = await endpoint.status(started.id);
}
assert.equal(st.status, "COMPLETED", JSON.stringify(st));
assert.equal(st.succeeded, true);
assert.deepEqual(st.output, { answer: 42 });
assert.equal(typeof st.executionTime, "number");

const second = await endpoint.run({ input: { job_id: "sdk-2" } });
const cancelled = await endpoint.cancel(second.id);
assert.equal(cancelled.id, second.id);
assert.equal(cancelled.status, "CANCELLED");

const health = await endpoint.health();
assert.equal(typeof health.jobs.completed, "number");
assert.equal(typeof health.workers.idle, "number");

const purged = await endpoint.purgeQueue();
assert.equal(typeof purged.removed, "number");

const bad = runpodSdk("wrong-key", { baseUrl: base }).endpoint(process.env.EMU_ENDPOINT);
const refused = await bad.status(started.id).catch((e) => ({ status: e?.response?.status ?? e?.status }));
assert.equal(refused.status, 401, JSON.stringify(refused));

console.log("SDK OK");
