// Baseline for bench/run: a worker that does nothing, on the same wrangler/workerd.
export default { fetch() { return new Response("{}", { headers: { "content-type": "application/json" } }); } };
