// Serves several supergraphs with Hive Gateway from one process:
//   node gateway_multi.mjs SUPERGRAPHS_JSON PORT
// where SUPERGRAPHS_JSON maps a name to a supergraph file; each is served at /NAME/graphql.
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { createGatewayRuntime } from "@graphql-hive/gateway-runtime";

const [file, port] = process.argv.slice(2);
const files = JSON.parse(readFileSync(file, "utf8"));
const gateways = new Map();
for (const [name, path] of Object.entries(files)) {
  gateways.set(
    name,
    createGatewayRuntime({
      supergraph: readFileSync(path, "utf8"),
      graphqlEndpoint: `/${name}/graphql`,
      logging: false,
    }),
  );
}
createServer((req, res) => {
  const name = (req.url ?? "").split("/")[1];
  const gateway = gateways.get(name);
  if (!gateway) {
    res.writeHead(404);
    res.end();
    return;
  }
  gateway(req, res);
}).listen(Number(port), "127.0.0.1", () => {
  process.stdout.write(`listening ${port}\n`);
});
