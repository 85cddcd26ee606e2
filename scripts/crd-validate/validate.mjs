// Reads a JSON array of Kubernetes objects on stdin and validates each ServiceMonitor and
// PrometheusRule against the Prometheus Operator CRD schema shipped by
// @kubernetes-models/prometheus-operator. Exits 1 on the first invalid object, 2 if none is found.
import { readFileSync } from "node:fs";
import { ServiceMonitor, PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";

const kinds = { ServiceMonitor, PrometheusRule };
const objects = JSON.parse(readFileSync(0, "utf8"));
let checked = 0;
for (const object of objects) {
  const Model = kinds[object?.kind];
  if (!Model || object.apiVersion !== "monitoring.coreos.com/v1") continue;
  try {
    new Model(object).validate();
  } catch (error) {
    console.error(`${object.kind}/${object.metadata?.name}: ${error.message}`);
    process.exit(1);
  }
  console.log(`valid: ${object.kind}/${object.metadata.name}`);
  checked += 1;
}
if (checked === 0) {
  console.error("no ServiceMonitor or PrometheusRule found");
  process.exit(2);
}
