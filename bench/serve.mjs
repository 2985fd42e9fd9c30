// Runs one worker locally for the load benchmarks: wrangler's own dev server (`startWorker`
// of the pinned wrangler 4.86.0, so the same workerd, Miniflare, local D1, Durable Objects and
// Queues as `wrangler dev`), with the devtools inspector off.
//
// Why not `wrangler dev`: it always attaches its inspector proxy, which turns on the runtime's
// Network domain and sends every event to the wrangler process, which appends each one to its
// debug log. Every D1 call is a subrequest, so each D1 result crosses two more processes and
// is written to disk. Measured on the bench machine, that doubled the floor worker's CPU per
// request and cut its rate to 40%. A deployed worker has none of it. All the benchmark's
// workers (ours, the no-op and the floor) run this way; only the start-up row spawns
// `wrangler dev` itself.
//
// Usage: node bench/serve.mjs CONFIG PORT PERSIST_DIR [NAME=VALUE ...]   (plain-text vars)
// Prints "ready <url>" when the worker answers; stops the worker on SIGTERM or SIGINT.
import { unstable_startWorker } from "wrangler";

const [config, port, persist, ...vars] = process.argv.slice(2);
const bindings = Object.fromEntries(
  vars.map((v) => {
    const at = v.indexOf("=");
    return [v.slice(0, at), { type: "plain_text", value: v.slice(at + 1) }];
  }),
);
const worker = await unstable_startWorker({
  config,
  bindings,
  dev: {
    server: { hostname: "127.0.0.1", port: Number(port) },
    inspector: false,
    persist,
    remote: false,
    watch: false,
    liveReload: false,
    logLevel: "warn",
  },
});
await worker.ready;
console.log("ready", (await worker.url).href);
const stop = async () => {
  await worker.dispose();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
