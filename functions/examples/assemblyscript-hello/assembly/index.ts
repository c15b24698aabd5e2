// assemblyscript-hello: an ABI v1 reactor module in AssemblyScript (docs/ABI.md).
//
// It composes one ConfigMap, `greeting`, from the composite resource (XR):
//
//     apiVersion: v1
//     kind: ConfigMap
//     data: {greeting: "Hello from AssemblyScript, <spec.who>!"}
//
// in the XR's namespace when it has one, marked ready, next to whatever earlier steps composed.
// An XR without a string spec.who gets a Fatal result and the desired state is returned
// unchanged.
//
// Built with `--runtime stub`: a bump allocator that never frees, which is all a module needs
// (each call gets a fresh instance) and which `cabi_realloc` below allocates from.

import { Kind, Parser, Value } from "./json";

@external("xfn", "set_output")
declare function xfnSetOutput(ptr: usize, len: usize): void;

@external("xfn", "log")
declare function xfnLog(level: i32, ptr: usize, len: usize): void;

/** xfn.log's info level. */
const LOG_INFO = 2;

/** Status for a request that is not JSON; the host reports the output as a FATAL result. */
const STATUS_INVALID_REQUEST = 1;

/** The composition resource name of the ConfigMap this module composes. */
const RESOURCE_NAME = "greeting";

/** Hands `text` to the host as UTF-8 through `xfn.set_output` (the host copies it at once). */
function setOutput(text: string): void {
  const bytes = String.UTF8.encode(text);
  xfnSetOutput(changetype<usize>(bytes), bytes.byteLength);
}

function log(level: i32, text: string): void {
  const bytes = String.UTF8.encode(text);
  xfnLog(level, changetype<usize>(bytes), bytes.byteLength);
}

/** A result object; `message` is raw JSON string content (already escaped). */
function result(severity: string, message: string): string {
  return '{"severity":"' + severity + '","message":"' + message + '"}';
}

/**
 * The canonical ABI allocator. The stub runtime's blocks are 16-byte aligned, enough for any
 * `align` the host asks for (it asks for 1); running out of memory traps, which the host reports.
 */
export function cabi_realloc(oldPtr: usize, oldLen: usize, align: usize, newLen: usize): usize {
  if (align > 16) unreachable();
  if (oldPtr == 0) return heap.alloc(newLen);
  return heap.realloc(oldPtr, newLen);
}

/** Runs the function on the request at `[ptr, ptr + len)`. */
export function xfn_run_v1(ptr: usize, len: usize): i32 {
  const parser = new Parser(String.UTF8.decodeUnsafe(ptr, len));
  const req = parser.parse();
  if (req == null) {
    setOutput("assemblyscript-hello: the request is not JSON: " + parser.error);
    return STATUS_INVALID_REQUEST;
  }

  let xr: Value | null = null;
  const observed = req.get("observed");
  if (observed != null) {
    const composite = observed.get("composite");
    if (composite != null) xr = composite.get("resource");
  }
  let who: string | null = null;
  let namespace: Value | null = null;
  if (xr != null) {
    const spec = xr.get("spec");
    if (spec != null) {
      const value = spec.get("who");
      if (value != null) who = value.stringContent();
    }
    const metadata = xr.get("metadata");
    if (metadata != null) namespace = metadata.get("namespace");
  }

  if (who == null) {
    // No "desired" and no "context": the host returns the request's unchanged.
    setOutput(
      '{"results":[' +
        result(
          "SEVERITY_FATAL",
          "assemblyscript-hello: the composite resource has no spec.who; " +
            "set spec.who to the name to greet",
        ) +
        "]}",
    );
    return 0;
  }

  const configMap = new Parser(
    '{"apiVersion":"v1","kind":"ConfigMap","data":{"greeting":"Hello from AssemblyScript, ' +
      who +
      '!"}}',
  ).parse()!;
  if (namespace != null && namespace.kind == Kind.String) {
    configMap.objectAt("metadata").set("namespace", namespace);
  }
  const composed = new Value(Kind.Object);
  composed.set("resource", configMap);
  composed.set("ready", new Value(Kind.String, '"READY_TRUE"'));

  const desired = req.objectAt("desired");
  desired.objectAt("resources").set(RESOURCE_NAME, composed);

  log(LOG_INFO, "assemblyscript-hello: composed ConfigMap " + RESOURCE_NAME);
  setOutput(
    '{"desired":' +
      desired.toJSON() +
      ',"results":[' +
      result("SEVERITY_NORMAL", 'composed ConfigMap \\"' + RESOURCE_NAME + '\\" for ' + who) +
      "]}",
  );
  return 0;
}
