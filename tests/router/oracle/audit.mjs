// GraphQL-over-HTTP conformance audit of a server: node audit.mjs URL
// Prints one JSON array: {id, name, status ("ok" | "warn" | "error"), reason} per audit.
import { auditServer } from "graphql-http";

const [url] = process.argv.slice(2);
const results = await auditServer({ url });
const out = results.map(({ id, name, status, reason }) => ({ id, name, status, reason }));
process.stdout.write(JSON.stringify(out) + "\n");
