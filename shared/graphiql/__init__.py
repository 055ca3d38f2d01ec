"""GraphiQL served by NEXO itself: pinned npm files fetched and verified at install time
(`assets`), and the page and routes that serve them (`web`)."""
