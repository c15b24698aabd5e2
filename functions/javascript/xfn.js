// Helpers for function-wasmtime modules written in JavaScript.
//
// A module is a component of the world in wit/function.wit, built with componentize-js. Its
// handler is a function from a request to a response, both plain objects in the protojson form
// of Crossplane's RunFunctionRequest and RunFunctionResponse (camelCase names, enums by name);
// `handler` turns it into the `handler` object the component exports:
//
//   import * as xfn from './xfn.js';
//
//   function compose(req) {
//     const rsp = xfn.responseTo(req);
//     const who = xfn.get(xfn.observedComposite(req), 'spec.who');
//     if (typeof who !== 'string') return xfn.fatal(rsp, 'my-function: set spec.who');
//     xfn.setDesiredResource(rsp, 'greeting', {apiVersion: 'v1', kind: 'ConfigMap',
//                                             data: {greeting: `Hello, ${who}!`}});
//     return rsp;
//   }
//
//   export const handler = xfn.handler(compose);
//
// `runJson` runs a handler the same way under Node, so tests need no WebAssembly; there `log`
// writes to stderr.

const LEVELS = ['error', 'warn', 'info', 'debug', 'trace'];

// The world's `log` import inside the component; `console.error` under Node.
let writeLog = (level, message) => console.error(`${level.toUpperCase()} ${message}`);

/** Makes the log helpers call `log` (the world's import), as the component's entry module does. */
export function useLog(log) {
  writeLog = log;
}

/** Writes a line to the host's log at `level`: error, warn, info, debug or trace. */
export function log(level, message) {
  writeLog(LEVELS.includes(level) ? level : 'trace', String(message));
}

/** The value at a dotted `path` ("spec.forProvider.region") of nested objects, or `fallback`. */
export function get(obj, path, fallback = undefined) {
  for (const key of path.split('.')) {
    if (obj === null || typeof obj !== 'object' || !(key in obj)) return fallback;
    obj = obj[key];
  }
  return obj;
}

/** The observed composite resource (XR), `{}` when the request has none. */
export function observedComposite(req) {
  return get(req, 'observed.composite.resource', {});
}

/** The observed composed resources: `{name: resource}`. */
export function observedResources(req) {
  const entries = Object.entries(get(req, 'observed.resources', {}));
  return Object.fromEntries(entries.map(([name, entry]) => [name, entry.resource ?? {}]));
}

/** The status ("True", "False", "Unknown") of a resource's condition, or undefined. */
export function conditionStatus(resource, type) {
  const conditions = get(resource, 'status.conditions', []);
  return conditions.find((condition) => condition.type === type)?.status;
}

/**
 * A response that keeps the request's tag, desired state and context. Always start from this
 * rather than from an empty response: Crossplane replaces its desired state and context with
 * the response's, so what a step leaves out is deleted.
 */
export function responseTo(req) {
  const rsp = { meta: { tag: get(req, 'meta.tag', '') } };
  if ('desired' in req) rsp.desired = req.desired;
  if ('context' in req) rsp.context = req.context;
  return rsp;
}

/** The desired composite resource of `rsp`, created empty when missing. */
export function desiredComposite(rsp) {
  rsp.desired ??= {};
  rsp.desired.composite ??= {};
  rsp.desired.composite.resource ??= {};
  return rsp.desired.composite.resource;
}

/** Sets the desired composed resource `name`, marked ready when `ready` says so. */
export function setDesiredResource(rsp, name, resource, ready = undefined) {
  const entry = { resource };
  if (ready !== undefined) entry.ready = ready ? 'READY_TRUE' : 'READY_FALSE';
  rsp.desired ??= {};
  rsp.desired.resources ??= {};
  rsp.desired.resources[name] = entry;
  return rsp;
}

function result(rsp, severity, message) {
  rsp.results ??= [];
  rsp.results.push({ severity, message });
  return rsp;
}

/** Adds a fatal result: Crossplane stops the pipeline and reports `message` on the XR. */
export const fatal = (rsp, message) => result(rsp, 'SEVERITY_FATAL', message);
/** Adds a warning result, an event on the XR. */
export const warning = (rsp, message) => result(rsp, 'SEVERITY_WARNING', message);
/** Adds a normal result, an event on the XR. */
export const normal = (rsp, message) => result(rsp, 'SEVERITY_NORMAL', message);

/**
 * Runs `compose` on the protojson bytes of a request, as the component does. Throws a string
 * (the `err` of `run`'s result) with the parse error or the handler's exception, which the host
 * turns into a fatal result naming the module; an exception's stack goes to the log at debug.
 */
export function runJson(compose, request) {
  let req;
  try {
    req = JSON.parse(new TextDecoder().decode(request));
  } catch (error) {
    throw `the request is not JSON: ${error}`;
  }
  let rsp;
  try {
    rsp = compose(req);
  } catch (error) {
    if (error instanceof Error && error.stack) log('debug', error.stack);
    throw String(error);
  }
  return new TextEncoder().encode(JSON.stringify(rsp));
}

/** The object to export as `handler`: its `run` runs `compose` with `runJson`. */
export function handler(compose) {
  return { run: (request) => runJson(compose, request) };
}
