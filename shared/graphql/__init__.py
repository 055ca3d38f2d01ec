"""What every subgraph's GraphQL layer shares; the only part of `shared` that knows
Strawberry. One concept a module: schema construction and error policy (`schema`), the
mutation unit of work (`unit_of_work`), resolver helpers (`resolvers`), ids (`ids`),
common types (`types`), Relay connections (`relay`), the subgraph HTTP app (`http`)."""
