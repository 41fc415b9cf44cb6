/**
 * Import direction (docs/architecture.md): foundations <- mechanisms <- domain <- pipeline <- shells <- main.
 * Each outside dependency has one owner folder. The client island (client/) and the server (src/) never meet.
 */
const layer = {
  foundations: "^src/(errors|config|telemetry)/",
  mechanisms: "^src/(keys|wire|egress|store|cluster)/",
  domain: "^src/(translate|providers|auth|validation|enrollment|routing|metering|resilience)/",
  pipeline: "^src/pipeline/",
  shells: "^src/(http|library|cli|adapters)/",
};
const forbidUp = (name, from, to) => ({ name, severity: "error", from: { path: from }, to: { path: to } });
module.exports = {
  forbidden: [
    // Exception: config wraps secrets and names providers with two leaf files of keys/ that import nothing.
    {
      name: "foundations-import-nothing-above",
      severity: "error",
      from: { path: layer.foundations },
      to: {
        path: `${layer.mechanisms}|${layer.domain}|${layer.pipeline}|${layer.shells}|^src/main\\.ts$`,
        pathNot: "^src/keys/(secret-key|provider-ids)\\.ts$",
      },
    },
    {
      name: "keys-leaves-stay-leaves",
      severity: "error",
      from: { path: "^src/keys/(secret-key|provider-ids)\\.ts$" },
      to: { path: "^src/" },
    },
    forbidUp(
      "mechanisms-import-only-foundations",
      layer.mechanisms,
      `${layer.domain}|${layer.pipeline}|${layer.shells}|^src/main\\.ts$`,
    ),
    forbidUp(
      "domain-never-imports-pipeline-or-shells",
      layer.domain,
      `${layer.pipeline}|${layer.shells}|^src/main\\.ts$`,
    ),
    forbidUp("pipeline-never-imports-shells", layer.pipeline, `${layer.shells}|^src/main\\.ts$`),
    forbidUp(
      "library-never-imports-http-or-cli",
      "^src/library/",
      "^src/(http|cli|adapters)/|^src/main\\.ts$",
    ),
    // Framework adapters (docs/library.md) are thin edges over the library: nothing below imports them,
    // and they reach only the library's public pieces and the error catalog, never pipeline internals.
    {
      name: "nothing-imports-adapters",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/(adapters/|fastify\\.ts$|hono\\.ts$)" },
      to: { path: "^src/adapters/" },
    },
    {
      name: "adapters-import-only-the-library",
      severity: "error",
      from: { path: "^src/adapters/" },
      to: { path: "^src/", pathNot: "^src/(library/index\\.ts|errors/)" },
    },
    forbidUp("http-never-imports-cli", "^src/http/", "^src/cli/|^src/main\\.ts$"),
    forbidUp("providers-never-import-translate", "^src/providers/", "^src/translate/"),
    {
      name: "providers-never-import-each-other",
      severity: "error",
      from: { path: "^src/providers/([^/]+)/" },
      to: { path: "^src/providers/([^/]+)/", pathNot: "^src/providers/$1/" },
    },
    {
      name: "only-egress-opens-connections",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/egress/" },
      to: {
        path: "^(undici|dns|net|tls|https|http2)$|node_modules/undici/",
        dependencyTypes: ["core", "npm", "npm-dev"],
      },
    },
    // Exception: the gateway's own response class (the write-stall limit) extends node:http's ServerResponse;
    // it opens no connection, and nothing else outside egress/ imports node:http.
    {
      name: "only-egress-and-the-response-class-import-http",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/egress/|^src/http/write-stall-response\\.ts$" },
      to: { path: "^http$", dependencyTypes: ["core"] },
    },
    {
      name: "only-egress-opens-websockets",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/egress/" },
      to: { path: "node_modules/ws/" },
    },
    {
      name: "only-store-talks-to-databases",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/store/" },
      to: { path: "^(sqlite)$|node_modules/(pg|ioredis)/" },
    },
    {
      name: "only-cluster-owns-worker-processes",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/cluster/" },
      to: { path: "^(cluster|child_process)$", dependencyTypes: ["core"] },
    },
    {
      name: "only-http-and-its-adapter-import-fastify",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/http/|^src/adapters/fastify\\.ts$" },
      to: { path: "node_modules/(fastify|@fastify)/" },
    },
    {
      name: "only-the-hono-adapter-imports-hono",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/adapters/hono\\.ts$" },
      to: { path: "node_modules/hono/" },
    },
    {
      name: "only-auth-imports-jose",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/auth/" },
      to: { path: "node_modules/jose/" },
    },
    // The client island (docs/client.md) is a browser bundle: the server and it never import each other.
    forbidUp("server-never-imports-client", "^src/", "^client/"),
    forbidUp("client-never-imports-server", "^client/", "^src/"),
    {
      name: "client-imports-no-node-builtins",
      severity: "error",
      from: { path: "^client/", pathNot: "^client/build\\.ts$" },
      to: { dependencyTypes: ["core"] },
    },
    { name: "no-circular", severity: "error", from: {}, to: { circular: true } },
    { name: "no-unresolvable", severity: "error", from: {}, to: { couldNotResolve: true } },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
    },
  },
};
