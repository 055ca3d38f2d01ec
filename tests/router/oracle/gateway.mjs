// Serves a supergraph file with Hive Gateway: node gateway.mjs SUPERGRAPH_FILE PORT [--no-dedup]
// --no-dedup turns off its deduplication of identical in-flight subgraph requests (on by
// default), as its docs describe, for a like-for-like row in bench/router.py.
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { createGatewayRuntime } from "@graphql-hive/gateway-runtime";

const [file, port, ...flags] = process.argv.slice(2);
const noDedup = flags.includes("--no-dedup");
const gateway = createGatewayRuntime({
  supergraph: readFileSync(file, "utf8"),
  logging: false,
  ...(noDedup
    ? { transportEntries: { "*.http": { options: { deduplicateInflightRequests: false } } } }
    : {}),
});
createServer(gateway).listen(Number(port), "127.0.0.1", () => {
  process.stdout.write(`listening ${port}\n`);
});
