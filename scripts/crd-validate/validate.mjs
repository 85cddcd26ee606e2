// Reads a JSON array of Kubernetes objects on stdin and validates each custom resource it knows
// against its CRD schema: ServiceMonitor and PrometheusRule with the Prometheus Operator's
// (@kubernetes-models/prometheus-operator), Certificate and Issuer/ClusterIssuer with cert-manager's
// (@kubernetes-models/cert-manager). Exits 1 on the first invalid object, 2 if none is found.
import { readFileSync } from "node:fs";
import { ServiceMonitor, PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { Certificate, Issuer, ClusterIssuer } from "@kubernetes-models/cert-manager/cert-manager.io/v1";

const models = {
  "monitoring.coreos.com/v1": { ServiceMonitor, PrometheusRule },
  "cert-manager.io/v1": { Certificate, Issuer, ClusterIssuer },
};
const objects = JSON.parse(readFileSync(0, "utf8"));
let checked = 0;
for (const object of objects) {
  const Model = models[object?.apiVersion]?.[object?.kind];
  if (!Model) continue;
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
  console.error("no ServiceMonitor, PrometheusRule, Certificate or Issuer found");
  process.exit(2);
}
