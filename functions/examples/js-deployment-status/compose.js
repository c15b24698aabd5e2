// deployment-status in JavaScript: the transform of functions/examples/deployment-status (Rust),
// as a component built with componentize-js (app.js is its entry module).
//
// It composes one Deployment named `app` running the XR's spec.image with spec.replicas replicas
// (default 1), labelled with the XR's labels plus app.kubernetes.io/name: <XR name>, in the XR's
// namespace if it has one, and rolls the observed Deployments up into the desired XR's status:
// readyReplicas (their sum) and availableDeployments (how many are Available). Without a string
// spec.image it returns a fatal result and leaves the desired state as it came.

import * as xfn from './xfn.js';

const RESOURCE_NAME = 'app';
const NAME_LABEL = 'app.kubernetes.io/name';

/** Composes the Deployment and the XR's status. */
export function compose(req) {
  const rsp = xfn.responseTo(req);
  const xr = xfn.observedComposite(req);
  const image = xfn.get(xr, 'spec.image');
  if (typeof image !== 'string') {
    return xfn.fatal(
      rsp,
      'deployment-status: the composite resource has no spec.image; set spec.image to the container image to run',
    );
  }
  const replicas = xfn.get(xr, 'spec.replicas');
  const name = xfn.get(xr, 'metadata.name', RESOURCE_NAME);
  const labels = { ...xfn.get(xr, 'metadata.labels', {}), [NAME_LABEL]: name };
  const metadata = { labels };
  const namespace = xfn.get(xr, 'metadata.namespace');
  if (namespace !== undefined) metadata.namespace = namespace;
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata,
    spec: {
      replicas: Number.isInteger(replicas) ? replicas : 1,
      selector: { matchLabels: { [NAME_LABEL]: name } },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'app', image }] },
      },
    },
  };

  let readyReplicas = 0;
  let available = 0;
  for (const resource of Object.values(xfn.observedResources(req))) {
    if (resource.kind !== 'Deployment') continue;
    const ready = xfn.get(resource, 'status.readyReplicas', 0);
    readyReplicas += Number.isInteger(ready) ? ready : 0;
    if (xfn.conditionStatus(resource, 'Available') === 'True') available += 1;
  }

  xfn.setDesiredResource(rsp, RESOURCE_NAME, deployment);
  const xrDesired = xfn.desiredComposite(rsp);
  xrDesired.status ??= {};
  if (typeof xrDesired.status !== 'object' || Array.isArray(xrDesired.status)) {
    return xfn.fatal(rsp, "deployment-status: the desired composite resource's status is not an object");
  }
  xrDesired.status.readyReplicas = readyReplicas;
  xrDesired.status.availableDeployments = available;
  return rsp;
}
