# Rego policy: production Deployments need at least two replicas.
# `input` is the manifest object; every `deny` message is a finding.
package seawall.replicas

import rego.v1

deny contains {"id": "ORG-003", "severity": "MEDIUM", "msg": msg} if {
	input.kind == "Deployment"
	object.get(input.metadata, "namespace", "") == "prod"
	object.get(input.spec, "replicas", 1) < 2
	msg := sprintf("deployment %s in prod runs %d replica(s); at least 2 are required", [input.metadata.name, object.get(input.spec, "replicas", 1)])
}
