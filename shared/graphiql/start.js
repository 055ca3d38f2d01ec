// Renders GraphiQL into #graphiql with the settings the page carries as JSON
// (#nexo-graphiql-config); queries go to the URL the page was served at.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("nexo-graphiql-config").textContent);
  var fetcher = GraphiQL.createFetcher({ url: window.location.pathname });
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      isHeadersEditorEnabled: config.isHeadersEditorEnabled,
      defaultHeaders: config.defaultHeaders,
    })
  );
})();
