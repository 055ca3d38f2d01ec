// Hive Gateway serving NEXO's supergraph (docs/scaling.md), from this folder:
//   npx @graphql-hive/gateway supergraph ./supergraph.graphql --port 3000
// The headers NEXO's own router forwards (router/gateway.py FORWARDED_HEADERS).
import { defineConfig } from "@graphql-hive/gateway";

const FORWARDED = ["authorization", "x-request-id", "idempotency-key"];

export const gatewayConfig = defineConfig({
  propagateHeaders: {
    fromClientToSubgraphs({ request }) {
      const headers: Record<string, string> = {};
      for (const name of FORWARDED) {
        const value = request.headers.get(name);
        if (value) headers[name] = value;
      }
      return headers;
    },
  },
});
