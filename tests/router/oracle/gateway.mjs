// Serves a supergraph file with Hive Gateway: node gateway.mjs SUPERGRAPH_FILE PORT
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { createGatewayRuntime } from "@graphql-hive/gateway-runtime";

const [file, port] = process.argv.slice(2);
const gateway = createGatewayRuntime({ supergraph: readFileSync(file, "utf8"), logging: false });
createServer(gateway).listen(Number(port), "127.0.0.1", () => {
  process.stdout.write(`listening ${port}\n`);
});
