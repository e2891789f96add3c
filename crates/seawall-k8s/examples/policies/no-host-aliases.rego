# Rego policy (string messages, default id REGO-seawall.hostaliases):
# hostAliases hide name resolution changes inside the pod spec.
package seawall.hostaliases

import rego.v1

deny contains msg if {
	input.kind == "Pod"
	count(object.get(input.spec, "hostAliases", [])) > 0
	msg := sprintf("pod %s sets hostAliases", [input.metadata.name])
}
