"""CRM's GraphQL layer (Strawberry lives only here): types, inputs, queries, mutations and
the dataloaders they resolve relations through."""
